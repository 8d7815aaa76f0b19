"""The state of a catalogue search as it travels in the page URL: text, filters, sort and page.

The pages read it leniently: a value that cannot be used (an unknown region, a level of 7) is
dropped and named on the page, never an error — a person editing a URL gets results, not a 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from catalog import SHARE_TYPES, SearchIndex
from catalog.search import DEFAULT_PER_PAGE

#: The sorts the pages offer (a subset of catalog.search's).
SORTS = ("relevance", "title")
#: The same page size as the JSON API's, so a page URL and an API URL list the same datasets.
PER_PAGE = DEFAULT_PER_PAGE
MAX_PER_PAGE = 100
MAX_QUERY = 200

# URL parameter of each state attribute (the API's names, so a page URL and an API URL agree).
_PARAMS = {
    "q": "q",
    "domain": "domain",
    "category": "category",
    "theme": "theme",
    "share_type": "shareType",
    "level": "level",
    "provider": "provider",
    "region": "region",
    "sort": "sort",
    "page": "page",
    "per_page": "perPage",
}
#: The filters, in the order the pages show them (facet names as catalog.search reports them).
FILTERS = ("domain", "category", "theme", "shareType", "level", "provider", "region")


@dataclass(frozen=True, slots=True)
class SearchState:
    q: str = ""
    domain: str | None = None
    category: str | None = None
    theme: str | None = None
    share_type: str | None = None
    level: int | None = None
    provider: str | None = None
    region: str | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE

    def filter_value(self, facet: str) -> str | None:
        """The chosen value of a facet, as a string (None when not filtered)."""
        value = getattr(self, _attribute(facet))
        return None if value is None else str(value)

    @property
    def filtered(self) -> bool:
        return bool(self.q) or any(self.filter_value(f) is not None for f in FILTERS)

    def params(self, **changes: object) -> dict[str, str]:
        """URL parameters of this state with ``changes`` applied (facet names accepted);
        defaults are left out, and any change other than the page goes back to page 1."""
        updates = {_attribute(name): value for name, value in changes.items()}
        if "page" not in updates:
            updates["page"] = 1
        state = replace(self, **updates)  # type: ignore[arg-type]
        out: dict[str, str] = {}
        for item in fields(state):
            value = getattr(state, item.name)
            if value is None or value == "" or value == item.default:
                continue
            out[_PARAMS[item.name]] = str(value)
        return out


def _attribute(name: str) -> str:
    return {"shareType": "share_type", "perPage": "per_page"}.get(name, name)


def _level(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _positive(raw: str | None, default: int, maximum: int) -> int | None:
    """The number, the default when absent, None when it is not a number in 1..maximum."""
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= maximum:
        return None
    return int(raw)


def read_search_state(args: Mapping[str, str], index: SearchIndex) -> tuple[SearchState, list[str]]:
    """The search state in the URL, and the names of the parameters that were dropped."""
    dropped: list[str] = []

    def keep(name: str, value: str | None, valid: bool) -> str | None:
        if not value:
            return None
        if not valid:
            dropped.append(name)
            return None
        return value

    taxonomy = index.catalog.taxonomy
    themes = index.known["theme"]
    providers = index.known["provider"]
    regions = index.catalog.regions
    domain = args.get("domain")
    category = args.get("category")
    theme = args.get("theme")
    share_type = args.get("shareType")
    provider = args.get("provider")
    region = args.get("region")
    level = args.get("level")
    sort = args.get("sort")
    page = _positive(args.get("page"), 1, 100_000)
    per_page = _positive(args.get("perPage"), PER_PAGE, MAX_PER_PAGE)
    state = SearchState(
        q=(args.get("q") or "").strip()[:MAX_QUERY],
        domain=keep("domain", domain, taxonomy.domain(domain or "") is not None),
        category=keep("category", category, taxonomy.category(category or "") is not None),
        theme=keep("theme", theme, theme in themes),
        share_type=keep("shareType", share_type, share_type in SHARE_TYPES),
        level=_level(keep("level", level, level in ("1", "2", "3", "4"))),
        provider=keep("provider", provider, provider in providers),
        region=keep("region", region, bool(region) and regions.is_known(region or "")),
        sort=keep("sort", sort, sort in SORTS) or "relevance",
        page=page or 1,
        per_page=per_page or PER_PAGE,
    )
    dropped += [name for name, value in (("page", page), ("perPage", per_page)) if value is None]
    return state, dropped

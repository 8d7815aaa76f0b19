"""Catalogue entries as the API shows them (camelCase, zh and en side by side): the entry, its
fields, the nodes and regions that serve it, how to get access, and a sample request."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import jsonschema

from catalog import FORMAT_CHECKER, Dataset, I18n, resident_id, uscc
from catalog.entries import entry_head
from policies import DATA_READ, Policies, Tier, plan_fields

if TYPE_CHECKING:
    from gateway.services import Configuration

#: Purposes a sample request prefers: generic ones that suit any dataset (a key lookup singles
#: out one record, which a statistics purpose must not).
SAMPLE_PURPOSES = ("public-service", "statistics")
#: The organisation part (positions 9–17) of the example unified social credit codes.
_USCC_BODY = "MA01C8H3K"
#: Digits an example key is made of where its pattern allows any: "01" repeated reads as a
#: plausible date or sequence number wherever it lands.
_DIGITS = "01"


def dataset_summary(dataset: Dataset, config: Configuration) -> dict[str, Any]:
    return {
        **entry_head(dataset),
        "domain": config.catalog.taxonomy.domain_id_of(dataset.category),
        "links": {
            "self": f"/v1/catalog/datasets/{dataset.id}",
            "records": f"/v1/datasets/{dataset.id}/records",
            "page": f"/catalog/{dataset.id}",
            # The dataset's typed operations, for a client generator and for people.
            "openapi": f"/v1/datasets/{dataset.id}/openapi.json",
            "docs": f"/docs/datasets/{dataset.id}",
            # Its DCAT-AP description, and the entry as written (what a harvester reads).
            "dcat": f"/v1/catalog/datasets/{dataset.id}?format=jsonld",
            "entry": f"/v1/catalog/datasets/{dataset.id}/entry",
        },
    }


def dataset_detail(
    dataset: Dataset, config: Configuration, *, base_url: str = ""
) -> dict[str, Any]:
    """The entry with its field table, nodes and regions, access and a sample request.

    ``base_url`` (the gateway's public address) makes the sample request's URLs absolute.
    """
    nodes = config.routing.nodes_for(dataset.id)
    out = dataset_summary(dataset, config)
    out.update(
        {
            "issued": dataset.issued,
            "license": dataset.license,
            "landingPage": dataset.landing_page,
            "contactPoint": (
                {
                    "name": dataset.contact_point.name.as_json(),
                    "email": dataset.contact_point.email,
                    "url": dataset.contact_point.url,
                }
                if dataset.contact_point
                else None
            ),
            "keyField": dataset.key_field,
            "regionField": dataset.region_field,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "format": f.format,
                    "label": f.label.as_json(),
                    "description": f.description,
                    "level": f.level,
                    "sensitivity": f.sensitivity,
                    "required": f.required,
                    "filters": list(dataset.query_schema.get("filters", {}).get(f.name, [])),
                }
                for f in dataset.fields.values()
            ],
            "nodes": [
                {
                    "id": node_id,
                    "name": {
                        "zh": config.nodes[node_id].name_zh,
                        "en": config.nodes[node_id].name_en,
                    },
                    "level": config.nodes[node_id].level,
                    "regions": sorted(leaves),
                }
                for node_id, leaves in sorted(nodes.items())
            ],
            "regionsServed": sorted(config.routing.served_regions(dataset.id)),
            "access": dataset_access(dataset, config.policies),
            "sampleRequest": sample_request(dataset, config, base_url),
            "recordSchema": dataset.record_schema,
            "querySchema": dataset.query_schema,
            "provenance": dataset.provenance.as_json() if dataset.provenance else None,
        }
    )
    return out


# -- how to get access ----------------------------------------------------------------------


def admitted_tiers(dataset: Dataset, policies: Policies) -> list[Tier]:
    """Tiers that may read the dataset (docs/access-and-tiers.md rules 1 and 3), lowest first; none
    when the dataset is not shared."""
    if dataset.share_type == "none":
        return []
    admitted = (t for t in policies.tiers.values() if t.max_level >= dataset.level)
    return sorted(admitted, key=lambda t: (t.max_level, t.id))


def sample_purpose(policies: Policies) -> str | None:
    """The purpose a sample request states: a generic one of the vocabulary."""
    preferred = next((p for p in SAMPLE_PURPOSES if p in policies.purposes), None)
    return preferred or next(iter(policies.purposes), None)


def _tier(tier: Tier) -> dict[str, Any]:
    return {"id": tier.id, "label": tier.label.as_json(), "maxLevel": tier.max_level}


def _access_text(dataset: Dataset, lowest: Tier | None) -> I18n:
    if dataset.share_type == "none":
        return I18n(
            "不予共享：只在目录中列示，以便了解它的存在和负责部门；网关从不提供其记录。",
            "Not shared: listed so that its existence and custodian can be found; the gateway "
            "never serves its records.",
        )
    if lowest is None:
        return I18n(
            f"数据分级 {dataset.level} 高于所有使用等级可读的最高分级，目前没有客户端可以读取它。",
            f"Its data level {dataset.level} is above what any tier may read, so no client can "
            "read it at present.",
        )
    if dataset.share_type == "conditional":
        return I18n(
            f"有条件共享：{lowest.label.zh}及以上等级的客户端，持有本数据集、本用途的有效授权后"
            "方可使用；每个请求须携带含 data:read 权限范围的访问令牌并在 X-Purpose 中声明用途。",
            f"Conditional sharing: clients of the {lowest.label.en} tier or above, holding an "
            "active grant for this dataset and the purpose; every request carries an access "
            "token with the data:read scope and states the purpose in X-Purpose.",
        )
    return I18n(
        f"无条件共享：{lowest.label.zh}及以上等级的客户端均可使用，无需逐项授权；每个请求须携带"
        "含 data:read 权限范围的访问令牌并在 X-Purpose 中声明用途。",
        f"Unconditional sharing: any client of the {lowest.label.en} tier or above may use it, "
        "with no grant; every request carries an access token with the data:read scope and "
        "states a purpose in X-Purpose.",
    )


def dataset_access(dataset: Dataset, policies: Policies) -> dict[str, Any]:
    """How a client gets to read the dataset, from the policies the gateway enforces: the share
    type, the tiers admitted (lowest first) and what each sees of the fields when no grant names
    them, whether a grant is needed, and the purposes a request may state."""
    tiers = admitted_tiers(dataset, policies)
    served = dataset.share_type != "none"
    conditional = dataset.share_type == "conditional"
    lowest = tiers[0] if tiers else None
    return {
        "shareType": dataset.share_type,
        "served": served,
        "scope": DATA_READ if served else None,
        "purposeHeader": "X-Purpose" if served else None,
        "grantRequired": conditional,
        "lowestTier": _tier(lowest) if lowest else None,
        "tiers": [
            {
                **_tier(tier),
                # Rule 6 as the decision engine plans it when no grant names a field.
                "fields": plan_fields(
                    dataset, tier, policies.profile(tier), None, conditional=conditional
                )[0].as_meta(),
            }
            for tier in tiers
        ],
        "purposes": [
            {"id": p.id, "label": {"zh": p.zh, "en": p.en}}
            for p in (policies.purposes.values() if served else ())
        ],
        "summary": _access_text(dataset, lowest).as_json(),
    }


# -- a sample request -----------------------------------------------------------------------


def _example_from_pattern(pattern: str) -> str | None:
    """A string matching a simple regular expression (literals, escapes, classes, counted
    repeats), or None when the pattern uses anything else."""
    body = pattern.removeprefix("^").removesuffix("$")
    out: list[str] = []
    digits = 0
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body) and not body[i + 1].isalnum():
            atom, i = body[i + 1], i + 2
        elif char == "\\" and body[i + 1 : i + 2] == "d":
            atom, i = "0-9", i + 2
        elif char == "[":
            end = body.find("]", i)
            atom = body[i + 1 : end] if end > i + 1 else ""
            if not atom or atom.startswith("^") or "\\" in atom:
                return None
            i = end + 1
        elif char in "\\()|*+?.{}":
            return None
        else:
            atom, i = char, i + 1
        count = 1
        if body[i : i + 1] == "{":
            end = body.find("}", i)
            low = body[i + 1 : end].split(",")[0] if end > i else ""
            if not low.isdigit():
                return None
            count, i = int(low), end + 1
        for _ in range(count):
            if atom.startswith("0-9"):
                out.append(_DIGITS[digits % len(_DIGITS)])
                digits += 1
            else:
                out.append(atom[0])
    return "".join(out)


def example_key(dataset: Dataset, region: str | None) -> str | None:
    """A well-formed key of the dataset (in ``region`` where the key holds one), or None.

    The field's own ``examples`` come first; then its format or pattern is followed. The key is
    made up: it shows the shape of a request, and a lookup of it may well find no record.
    """
    spec = dataset.record_schema["properties"][dataset.key_field]
    examples = [e for e in spec.get("examples", ()) if isinstance(e, str)]
    if examples:
        return examples[0]
    place = region if region and region.isdigit() and len(region) == 6 else "110108"
    fmt = spec.get("format")
    key: str | None
    if fmt == "uscc":
        key = "91" + place + _USCC_BODY + "0"
    elif fmt == "resident-id":
        key = place + "19850612" + "123" + "0"
    elif isinstance(spec.get("pattern"), str):
        key = _example_from_pattern(spec["pattern"])
    else:
        key = None
    if key is None:
        return None
    if dataset.region_from_key is not None:
        start, length = dataset.region_from_key
        if length == len(place) and len(key) >= start - 1 + length:
            key = key[: start - 1] + place + key[start - 1 + length :]
    if fmt == "uscc":
        key = key[:17] + uscc.check_character(key[:17])
    elif fmt == "resident-id":
        key = key[:17] + resident_id.check_character(key[:17])
    valid = jsonschema.Draft202012Validator(spec, format_checker=FORMAT_CHECKER).is_valid(key)
    return key if valid else None


def _sample_filter(dataset: Dataset, region: str | None, key: str | None) -> tuple[str, Any] | None:
    """One filter the query schema allows, with a plausible value: the region field, else a
    field with a closed vocabulary, else the key."""
    filters = dataset.filters
    if region and "eq" in filters.get(dataset.region_field, ()):
        return dataset.region_field, region
    for name, ops in filters.items():
        enum = dataset.record_schema["properties"][name].get("enum")
        if "eq" in ops and enum:
            return name, enum[0]
    if key and "eq" in filters.get(dataset.key_field, ()):
        return dataset.key_field, key
    return None


def _curl(url: str, purpose: str, body: str | None = None) -> str:
    parts = ["curl -s", '-H "Authorization: Bearer $TOKEN"', f'-H "X-Purpose: {purpose}"']
    if body is not None:
        parts += ['-H "Content-Type: application/json"', f"-d {shlex.quote(body)}"]
    return " ".join([*parts, shlex.quote(url)])


def sample_request(dataset: Dataset, config: Configuration, base_url: str) -> dict[str, Any] | None:
    """How to call the data API for this dataset: get a token, look up one record by its key,
    query records with a filter from the query schema (GET and POST). None when the dataset is
    never served."""
    if dataset.share_type == "none":
        return None
    base = base_url.rstrip("/")
    purpose = sample_purpose(config.policies) or "statistics"
    served = sorted(config.routing.served_regions(dataset.id))
    region = served[0] if served else None
    key = example_key(dataset, region)
    records = f"{base}/v1/datasets/{dataset.id}/records"
    token_url = f"{base}/oauth/token"
    token_curl = "curl -s -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials " + (
        shlex.quote(token_url)
    )
    out: dict[str, Any] = {
        "purpose": purpose,
        "token": {
            "method": "POST",
            "url": token_url,
            "curl": token_curl,
            # The same, keeping the token in $TOKEN for the calls below.
            "shell": f"TOKEN=$({token_curl} | python3 -c "
            + shlex.quote('import json,sys; print(json.load(sys.stdin)["access_token"])')
            + ")",
        },
        "keyLookup": None,
    }
    if dataset.share_type == "conditional":
        out["note"] = {
            "zh": "X-Purpose 须为授权所载的用途。",
            "en": "X-Purpose must be the purpose your grant was issued for.",
        }
    if key is not None:
        url = f"{records}/{quote(key, safe='')}"
        out["keyLookup"] = {"method": "GET", "url": url, "key": key, "curl": _curl(url, purpose)}
    sample = _sample_filter(dataset, region, key)
    params: dict[str, Any] = dict([sample]) if sample else {}
    url = f"{records}?{urlencode({**params, 'limit': 10})}"
    out["query"] = {"method": "GET", "url": url, "curl": _curl(url, purpose)}
    body = json.dumps({"filter": params, "limit": 10}, ensure_ascii=False)
    query_url = f"{base}/v1/datasets/{dataset.id}/query"
    out["queryBody"] = {
        "method": "POST",
        "url": query_url,
        "body": json.loads(body),
        "curl": _curl(query_url, purpose, body),
    }
    return out

"""Loading the catalogue: dataset entries checked against the meta-schema and against each other.

Long because it is one pass: the meta-schema check, the checks across an entry's parts and the
building of the typed ``Dataset`` read the same document and report by file and JSON path into
one list of issues, so that ``catalog check`` names every problem of every file at once.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import ValidationError

from catalog.categories import Taxonomy, default_categories_file, load_categories
from catalog.check_pool import check_in_chunks
from catalog.collation import SortKey, chinese_sort_keys
from catalog.filters import FilterValidator, coerce_text
from catalog.formats import KNOWN_FORMATS, ORDERED_FORMATS
from catalog.i18n import I18n
from catalog.issues import CatalogError, CatalogIssue, json_path, parse_yaml, yaml_problem
from catalog.load_cache import CheckedCatalogue, input_key, read_checked, write_checked
from catalog.provenance import Provenance
from catalog.regions import RegionRegistry, default_regions_file, load_regions
from catalog.validation import (
    RecordValidator,
    ValidationIssue,
    compile_validator,
    fast_validator,
    json_types,
    packaged_schema,
    records_issues,
    schema_error_issues,
    unknown_property_message,
)

_SCALAR_TYPES = frozenset({"string", "number", "integer", "boolean"})
# Keywords whose values are data, not schemas: the schema walk does not look inside them.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "examples", "x-label", "description"})


@dataclass(frozen=True, slots=True)
class Provider:
    """The department responsible for a dataset, and the regions whose departments provide it."""

    id: str
    name: I18n
    regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContactPoint:
    """Whom to ask about a dataset."""

    name: I18n
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One record field as the catalogue describes it."""

    name: str
    #: The JSON type name, or a tuple of them (``("string", "null")``).
    type: str | tuple[str, ...]
    format: str | None
    label: I18n
    level: int
    sensitivity: str | None
    description: str | None
    required: bool


@dataclass(frozen=True, slots=True, eq=False)
class Dataset:
    """One catalogue entry; its record and filter validators are compiled on first use.

    A platform catalogue holds thousands of entries and a worker uses few of them: compiled at
    load, their validators took two thirds of a worker's memory and of its start-up time.
    """

    id: str
    title: I18n
    description: I18n
    provider: Provider
    #: The id of its category in the taxonomy.
    category: str
    themes: tuple[str, ...]
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]
    share_type: str
    level: int
    update_frequency: str
    modified: str
    key_field: str
    region_field: str
    region_from_key: tuple[int, int] | None
    #: The entry's recordSchema as written; validators work from their own copy.
    record_schema: dict[str, Any]
    query_schema: dict[str, Any]
    #: Field name → description, in schema order.
    fields: Mapping[str, FieldInfo]
    issued: str | None = None
    license: str | None = None
    landing_page: str | None = None
    contact_point: ContactPoint | None = None
    #: Where a harvested entry came from; None for the catalogue's own entries.
    provenance: Provenance | None = None
    #: What the validators are compiled from: a private copy, so that editing the entry's
    #: recordSchema after load changes nothing a validator does.
    _schema: dict[str, Any] = field(init=False, repr=False)
    _filterable: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)
    _records: RecordValidator | None = field(default=None, init=False, repr=False)
    _filters: FilterValidator | None = field(default=None, init=False, repr=False)
    _compiling: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_schema", copy.deepcopy(self.record_schema))
        filters = self.query_schema.get("filters", {})
        filterable = {name: tuple(ops) for name, ops in filters.items()}
        object.__setattr__(self, "_filterable", MappingProxyType(filterable))

    def _record_validator(self) -> RecordValidator:
        validator = self._records
        if validator is None:
            with self._compiling:  # one compilation, however many threads ask at once
                validator = self._records
                if validator is None:
                    validator = RecordValidator(self._schema)
                    object.__setattr__(self, "_records", validator)
        return validator

    def _filter_validator(self) -> FilterValidator:
        validator = self._filters
        if validator is None:
            with self._compiling:
                validator = self._filters
                if validator is None:
                    validator = FilterValidator(self._schema, self._filterable)
                    object.__setattr__(self, "_filters", validator)
        return validator

    @property
    def filters(self) -> Mapping[str, tuple[str, ...]]:
        """Filterable field → the operators allowed on it."""
        return self._filterable

    def region_of_key(self, key: str) -> str | None:
        """The region code held in the key; None when the key holds none or is too short."""
        if self.region_from_key is None:
            return None
        start, length = self.region_from_key
        code = key[start - 1 : start - 1 + length]
        if len(code) != length or not code.isdigit() or not code.isascii():
            return None
        return code

    def record_errors(
        self, record: object, fields: Collection[str] | None = None
    ) -> list[ValidationIssue]:
        """Why a record does not conform to recordSchema (empty: it does).

        With ``fields`` (the projection fetched from the node) only those fields may appear and
        only those of them the schema requires must.
        """
        return self._record_validator().errors(record, fields)

    def filter_errors(self, filter: object) -> list[ValidationIssue]:
        """Why a normalised filter ``{field: {op: value}}`` is not acceptable (empty: it is)."""
        return self._filter_validator().errors(filter)

    def coerce(self, field: str, text: str) -> Any:
        """A query-string value as the field's JSON type; ValueError says why it cannot be."""
        info = self.fields.get(field)
        if info is None:
            raise ValueError(f"{field!r} is not a field of this dataset")
        return coerce_text(info.type, text)


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every dataset entry (by id, sorted), the region registry and the category taxonomy."""

    datasets: Mapping[str, Dataset]
    regions: RegionRegistry
    taxonomy: Taxonomy
    #: Chinese title → its pinyin sort key, as far as they were kept from an earlier start:
    #: the title order needs no pypinyin for these (catalog/load_cache.py).
    title_keys: Mapping[str, SortKey] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, dataset_id: str) -> Dataset | None:
        return self.datasets.get(dataset_id)

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self.datasets.values())

    def __len__(self) -> int:
        return len(self.datasets)


def default_datasets_directory() -> Path:
    """The catalogue entries shipped with the package (the demo catalogue)."""
    return Path(str(resources.files("catalog") / "datasets"))


def meta_schema() -> dict[str, Any]:
    """The meta-schema every catalogue entry must satisfy (catalog/schema/dataset.schema.json)."""
    return packaged_schema("dataset.schema.json")


@functools.cache
def _meta_schema_validators() -> tuple[jsonschema.protocols.Validator, Any]:
    """The meta-schema compiled once per process: the compiled (Rust) validator that says
    whether an entry is valid, and the jsonschema one that says why one is not.

    jsonschema resolves the ``$dynamicRef`` of the 2020-12 meta-schema (every recordSchema is
    checked against it) anew for each node it visits: 10 ms an entry, most of a 3,158-entry
    catalogue's check. Only an entry the fast validator refuses goes through it.
    """
    schema = meta_schema()
    return compile_validator(schema), fast_validator(schema)


#: How a dataset may be shared, in the order the pages list them: the meta-schema's enum is the
#: one place they are named.
SHARE_TYPES: tuple[str, ...] = tuple(meta_schema()["properties"]["shareType"]["enum"])


def _meta_schema_issues(error: ValidationError, file: str) -> list[CatalogIssue]:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    allowed = list(schema.get("properties", {}))

    def unexpected(parts: Sequence[object]) -> str:
        return unknown_property_message(str(parts[-1]), allowed)

    return [
        CatalogIssue(file, issue.path, issue.message)
        for issue in schema_error_issues(error, abbreviate=False, unexpected=unexpected)
    ]


def _walk_schema(node: Any, parts: list[object]) -> Iterator[tuple[list[object], str, Any]]:
    """Every (path, keyword, value) inside a schema, not descending into data keywords."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield [*parts, key], str(key), value
            if key not in _DATA_KEYWORDS:
                yield from _walk_schema(value, [*parts, key])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_schema(item, [*parts, index])


_JSON_SCALARS = (str, int, float, bool, type(None))


def _non_json_values(node: Any, parts: list[object]) -> Iterator[tuple[list[object], str]]:
    """Where a value is not JSON data (a YAML date or timestamp, a number as a mapping key):
    the schema is published as JSON and compiled by validators that take JSON only."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if not isinstance(key, str):
                yield [*parts, str(key)], f"a name must be text, not {type(key).__name__}"
            else:
                yield from _non_json_values(value, [*parts, key])
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _non_json_values(item, [*parts, index])
    elif not isinstance(node, _JSON_SCALARS):
        yield parts, f"not JSON data ({type(node).__name__}): write it in quotes"


def _schema_usage_problems(record_schema: Any) -> Iterator[tuple[list[object], str]]:
    """Formats, patterns and references that the validators could not honour."""
    yield from _non_json_values(record_schema, ["recordSchema"])
    for parts, keyword, value in _walk_schema(record_schema, ["recordSchema"]):
        if keyword == "format" and isinstance(value, str) and value not in KNOWN_FORMATS:
            known = ", ".join(sorted(KNOWN_FORMATS))
            yield parts, f"unknown format {value!r} (known: {known})"
        elif keyword == "pattern" and isinstance(value, str):
            try:
                re.compile(value)
            except re.error as exc:
                yield parts, f"not a valid regular expression: {exc}"
        elif keyword == "patternProperties" and isinstance(value, Mapping):
            for pattern in value:
                try:
                    re.compile(str(pattern))
                except re.error as exc:
                    yield [*parts, pattern], f"not a valid regular expression: {exc}"
        elif (
            keyword in ("$ref", "$dynamicRef")
            and isinstance(value, str)
            and not value.startswith("#")
        ):
            yield parts, "only references within the record schema (#...) are allowed"


def _type_text(schema: Mapping[str, Any]) -> str:
    text = "/".join(json_types(schema.get("type")))
    return f"{text} ({schema['format']})" if "format" in schema else text


def _operator_problem(op: str, name: str, schema: Mapping[str, Any]) -> str | None:
    types = set(json_types(schema.get("type"))) - {"null"}
    if op == "prefix" and types != {"string"}:
        return f"operator 'prefix' applies to string fields only; {name!r} is {_type_text(schema)}"
    if op in ("gte", "lte"):
        ordered = (types and types <= {"number", "integer"}) or (
            types == {"string"} and schema.get("format") in ORDERED_FORMATS
        )
        if not ordered:
            return (
                f"operator {op!r} applies to numbers and to strings with format "
                f"{', '.join(sorted(ORDERED_FORMATS))} only; {name!r} is {_type_text(schema)}"
            )
    return None


def _not_a_property(name: str, properties: Mapping[str, Any]) -> str:
    message = f"{name!r} is not a property of recordSchema"
    close = difflib.get_close_matches(name, list(properties), n=1)
    return f"{message} (did you mean {close[0]!r}?)" if close else message


def _cross_check(
    document: Mapping[str, Any],
    file: str,
    stem: str,
    regions: RegionRegistry | None,
    taxonomy: Taxonomy | None,
) -> list[CatalogIssue]:
    """What the meta-schema cannot say: names that must agree across the entry and its file."""
    issues: list[CatalogIssue] = []

    def add(parts: list[object], message: str) -> None:
        issues.append(CatalogIssue(file, json_path(parts), message))

    if document["id"] != stem:
        add(["id"], f"id {document['id']!r} differs from the file name {stem!r}")
    record_schema = document["recordSchema"]
    properties: Mapping[str, Any] = record_schema["properties"]
    required = record_schema.get("required", [])
    for index, name in enumerate(required):
        if name not in properties:
            add(["recordSchema", "required", index], _not_a_property(name, properties))

    key = document["keyField"]
    if key not in properties:
        add(["keyField"], _not_a_property(key, properties))
    elif json_types(properties[key].get("type")) != ("string",) or key not in required:
        add(["keyField"], f"the key field {key!r} must be a required property of type string")

    region = document["regionField"]
    if region not in properties:
        add(["regionField"], _not_a_property(region, properties))
    elif properties[region].get("format") != "region-code":
        add(["regionField"], f"the region field {region!r} must have format region-code")

    for name, ops in document["querySchema"]["filters"].items():
        if name not in properties:
            add(["querySchema", "filters", name], _not_a_property(name, properties))
            continue
        types = set(json_types(properties[name].get("type"))) - {"null"}
        if not types or not types <= _SCALAR_TYPES:
            kind = _type_text(properties[name])
            message = f"{name!r} is {kind}: only scalar fields can be filtered"
            add(["querySchema", "filters", name], message)
            continue
        for index, op in enumerate(ops):
            problem = _operator_problem(op, name, properties[name])
            if problem is not None:
                add(["querySchema", "filters", name, index], problem)

    for parts, message in _schema_usage_problems(record_schema):
        add(parts, message)

    if regions is not None:
        for index, code in enumerate(document["provider"]["regions"]):
            if not regions.is_known(code):
                add(["provider", "regions", index], f"{code!r} is not in the region registry")
    if taxonomy is not None and taxonomy.category(document["category"]) is None:
        add(["category"], taxonomy.unknown_category_message(document["category"]))
    return issues


def _build_dataset(document: Mapping[str, Any], provenance: Provenance | None = None) -> Dataset:
    record_schema: dict[str, Any] = document["recordSchema"]
    required = set(record_schema.get("required", []))
    fields = {
        name: FieldInfo(
            name=name,
            type=spec["type"] if isinstance(spec["type"], str) else tuple(spec["type"]),
            format=spec.get("format"),
            label=I18n(zh=spec["x-label"]["zh"], en=spec["x-label"]["en"]),
            level=spec["x-level"],
            sensitivity=spec.get("x-sensitivity"),
            description=spec.get("description"),
            required=name in required,
        )
        for name, spec in record_schema["properties"].items()
    }
    provider = document["provider"]
    region_from_key = document.get("regionFromKey")
    contact = document.get("contactPoint")
    return Dataset(
        id=document["id"],
        title=I18n(**document["title"]),
        description=I18n(**document["description"]),
        provider=Provider(
            id=provider["id"], name=I18n(**provider["name"]), regions=tuple(provider["regions"])
        ),
        category=document["category"],
        themes=tuple(document["themes"]),
        keywords_zh=tuple(document["keywords"]["zh"]),
        keywords_en=tuple(document["keywords"]["en"]),
        share_type=document["shareType"],
        level=document["level"],
        update_frequency=document["updateFrequency"],
        modified=document["modified"],
        key_field=document["keyField"],
        region_field=document["regionField"],
        region_from_key=(
            (region_from_key["start"], region_from_key["length"]) if region_from_key else None
        ),
        record_schema=record_schema,
        query_schema=document["querySchema"],
        fields=MappingProxyType(fields),
        issued=document.get("issued"),
        license=document.get("license"),
        landing_page=document.get("landingPage"),
        contact_point=(
            ContactPoint(
                name=I18n(**contact["name"]), email=contact.get("email"), url=contact.get("url")
            )
            if contact
            else None
        ),
        provenance=provenance,
    )


def _conforms_to_meta_schema(document: Any) -> bool:
    try:
        return bool(_meta_schema_validators()[1].is_valid(document))
    except (ValueError, TypeError):
        return False  # not JSON data (a YAML date, say): jsonschema says what is wrong


def parse_dataset(
    document: Any,
    file: str,
    *,
    regions: RegionRegistry | None = None,
    taxonomy: Taxonomy | None = None,
    validator: jsonschema.protocols.Validator | None = None,
    provenance: Provenance | None = None,
) -> Dataset:
    """Check one entry (meta-schema, then cross-checks) and build it; CatalogError lists why not.

    ``file`` names the entry in messages; its stem must equal the id. Without ``regions`` the
    provider regions are not looked up, without ``taxonomy`` the category is not. A harvested
    entry carries its ``provenance``.
    """
    issues = entry_issues(document, file, regions=regions, taxonomy=taxonomy, validator=validator)
    if issues:
        raise CatalogError(issues)
    return _build_dataset(document, provenance)


def entry_issues(
    document: Any,
    file: str,
    *,
    regions: RegionRegistry | None = None,
    taxonomy: Taxonomy | None = None,
    validator: jsonschema.protocols.Validator | None = None,
) -> list[CatalogIssue]:
    """Why one entry is refused (empty: it passes), as for :func:`parse_dataset`."""
    issues: list[CatalogIssue] = []
    if validator is not None or not _conforms_to_meta_schema(document):
        validator = validator or _meta_schema_validators()[0]
        issues = [
            issue
            for error in validator.iter_errors(document)
            for issue in _meta_schema_issues(error, file)
        ]
        issues = list(dict.fromkeys(issues))
    if not issues:
        issues = _cross_check(document, file, Path(file).stem, regions, taxonomy)
    if issues:
        return issues
    record_schema = document["recordSchema"]
    examples = record_schema.get("examples", [])
    if not isinstance(examples, list):
        return [CatalogIssue(file, "$.recordSchema.examples", "must be a list")]
    # The examples are published (the dataset page previews them): each must be a record the
    # gateway would pass on, so a preview never shows what a node could not send. They are
    # checked by a validator of their own, let go afterwards: the dataset compiles its own
    # when it is first used.
    for i, issue in records_issues(record_schema, examples):
        path = f"$.recordSchema.examples[{i}]" + issue.path.removeprefix("$")
        issues.append(CatalogIssue(file, path, issue.message))
    return issues


def load_catalog(
    datasets_dir: Path | None = None,
    regions_file: Path | None = None,
    categories_file: Path | None = None,
    *,
    cache_dir: Path | None = None,
) -> Catalog:
    """Read and check the region registry, the taxonomy and every ``*.yaml`` entry; all problems
    together (the shipped files for each argument left out).

    With ``cache_dir`` the documents of a catalogue that passed are kept there, and a later load
    of the very same files by the same code builds the catalogue from them without parsing or
    checking again (catalog/load_cache.py says what "the same" covers).
    """
    issues: list[CatalogIssue] = []
    regions: RegionRegistry | None = None
    taxonomy: Taxonomy | None = None
    try:
        regions = load_regions(regions_file)
    except CatalogError as exc:
        issues.extend(exc.issues)
    try:
        taxonomy = load_categories(categories_file)
    except CatalogError as exc:
        issues.extend(exc.issues)

    directory = datasets_dir or default_datasets_directory()
    paths = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not paths:
        issues.append(CatalogIssue(directory.name, "$", "no catalogue entries (*.yaml) found"))
    entries = [(path.name, path.read_bytes()) for path in paths]
    key = None
    if cache_dir is not None and regions is not None and taxonomy is not None and entries:
        registries = (
            regions_file or default_regions_file(),
            categories_file or default_categories_file(),
        )
        key = input_key(entries, *(path.read_bytes() for path in registries))
        cached = read_checked(cache_dir, key)
        if cached is not None:
            stored = [_build_dataset(document) for document in cached.documents]
            return _catalog(stored, regions, taxonomy, cached.title_keys)
    datasets: list[Dataset] = []
    documents: list[dict[str, Any]] = []
    checked = functools.partial(_check_entries, regions=regions, taxonomy=taxonomy)
    _meta_schema_validators()  # compiled once, before processes checking chunks fork
    for document, entry_issues in check_in_chunks(checked, entries):
        issues.extend(entry_issues)
        if document is not None:
            datasets.append(_build_dataset(document))
            documents.append(document)
    if issues or regions is None or taxonomy is None:
        raise CatalogError(issues)
    if cache_dir is not None and key is not None:
        # Worked out now, once per change of the catalogue, so that no later start does.
        titles = list(dict.fromkeys(dataset.title.zh for dataset in datasets))
        title_keys = dict(zip(titles, chinese_sort_keys(titles), strict=True))
        write_checked(cache_dir, key, CheckedCatalogue(documents, title_keys))
        return _catalog(datasets, regions, taxonomy, title_keys)
    return _catalog(datasets, regions, taxonomy)


def _check_entries(
    entries: Sequence[tuple[str, bytes]],
    *,
    regions: RegionRegistry | None,
    taxonomy: Taxonomy | None,
) -> list[tuple[dict[str, Any] | None, list[CatalogIssue]]]:
    """(document, no issues) of each entry that passes, (None, its issues) of each that does
    not: plain data, which a process checking a chunk of the entries sends back as it is."""
    results: list[tuple[dict[str, Any] | None, list[CatalogIssue]]] = []
    for name, content in entries:
        try:
            document = parse_yaml(content.decode("utf-8"))
        except UnicodeDecodeError as exc:
            results.append((None, [CatalogIssue(name, "$", f"not UTF-8 text (byte {exc.start})")]))
            continue
        except yaml.YAMLError as exc:
            results.append((None, [CatalogIssue(name, "$", yaml_problem(exc))]))
            continue
        issues = entry_issues(document, name, regions=regions, taxonomy=taxonomy)
        results.append((None if issues else document, issues))
    return results


def _catalog(
    datasets: list[Dataset],
    regions: RegionRegistry,
    taxonomy: Taxonomy,
    title_keys: Mapping[str, SortKey] | None = None,
) -> Catalog:
    by_id = {dataset.id: dataset for dataset in datasets}
    return Catalog(
        datasets=MappingProxyType(dict(sorted(by_id.items()))),
        regions=regions,
        taxonomy=taxonomy,
        title_keys=MappingProxyType(dict(title_keys or {})),
    )


def load_catalog_directory(directory: Path | None, *, cache_dir: Path | None = None) -> Catalog:
    """The catalogue a deployment's directory holds (``datasets/``, ``regions.yaml`` and
    ``categories.yaml``, docs/deployment.md); the shipped one for None. ``cache_dir`` as for
    :func:`load_catalog`."""
    if directory is None:
        return load_catalog(cache_dir=cache_dir)
    return load_catalog(
        directory / "datasets",
        directory / "regions.yaml",
        directory / "categories.yaml",
        cache_dir=cache_dir,
    )

"""What a dataset's own OpenAPI document holds, generated from its catalogue entry
(docs/api.md#data): its record schema, with its ``x-level``/``x-sensitivity`` annotations kept
(OpenAPI 3.1 schemas are JSON Schema 2020-12, where unknown keywords are annotations) and
repeated in the descriptions, and for a served dataset typed operations with the filters its
query schema allows (``name`` for eq, ``name.op`` for the other operators). They take the
parameters and give the answers of the data endpoints (gateway/http/api/data_contract.py)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from catalog import Dataset
from catalog.filters import prefix_schema
from gateway.http.api.data_contract import (
    CURSOR,
    EXCHANGE_META,
    EXCHANGE_PROBLEMS,
    LIMIT,
    PURPOSE_HEADER,
    REGION,
    STRICT,
    exchange,
)
from gateway.http.contract import (
    STRING,
    Body,
    Component,
    Operation,
    list_of,
    obj,
    ok,
    path,
    query,
    schema,
)


def schema_name(dataset_id: str) -> str:
    """``market-entity-registration`` → ``MarketEntityRegistration``."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", dataset_id) if part)


def _annotated(spec: Mapping[str, Any]) -> str:
    label = spec.get("x-label", {})
    parts = [f"{label.get('en', '')} ({label.get('zh', '')})."]
    if spec.get("description"):
        parts.append(str(spec["description"]))
    parts.append(f"Data level {spec.get('x-level')}.")
    if spec.get("x-sensitivity"):
        parts.append(
            f"Personal data ({spec['x-sensitivity']}): in clear only when the caller's grant "
            "names the field; otherwise masked by the tier's profile or dropped."
        )
    return " ".join(p for p in parts if p)


def _value_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A field's schema without its annotations: what a filter value must satisfy."""
    return {
        k: copy.deepcopy(v)
        for k, v in spec.items()
        if not k.startswith("x-") and k not in ("description", "title", "examples")
    }


def _rebase(node: Any, base: str) -> Any:
    """Local references of a record schema (``#/$defs/…``) made relative to its component."""
    if isinstance(node, dict):
        return {
            k: (
                base + v[1:]
                if k in ("$ref", "$dynamicRef") and isinstance(v, str) and v.startswith("#")
                else _rebase(v, base)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(item, base) for item in node]
    return node


def record_schema(dataset: Dataset) -> dict[str, Any]:
    """A dataset's records as the data API returns them.

    The catalogue's recordSchema, with three changes a caller's validator needs: no ``required``
    (``fields`` projects records), a personal field may also be a masked string or null
    (redacted), and every field's description states its label, level and sensitivity.
    """
    name = schema_name(dataset.id)
    schema = _rebase(copy.deepcopy(dataset.record_schema), f"#/components/schemas/{name}Record")
    schema.pop("$schema", None)
    schema.pop("required", None)
    properties: dict[str, Any] = {}
    for field_name, spec in schema.get("properties", {}).items():
        described = {"description": _annotated(spec)}
        annotations = {k: v for k, v in spec.items() if k.startswith("x-")}
        if spec.get("x-sensitivity"):
            masked = {
                "type": ["string", "null"],
                "description": "Masked (partial, pseudonym or generalised) or null (redacted).",
            }
            properties[field_name] = {
                **described,
                **annotations,
                "anyOf": [_value_schema(spec), masked],
            }
        else:
            properties[field_name] = {**spec, **described}
    schema["properties"] = properties
    # No title: client generators name the model after the title when there is one, and the
    # component's name (``MarketEntityRegistrationRecord``) is the one to keep.
    schema.pop("title", None)
    schema["description"] = (
        f"{dataset.title.en} ({dataset.title.zh}): one record as served, in catalogue field "
        "names. Fields the caller's tier may not read are dropped."
    )
    return schema


def _filter_parameters(dataset: Dataset) -> list[dict[str, Any]]:
    out = []
    for field_name, ops in dataset.filters.items():
        spec = dataset.record_schema["properties"][field_name]
        value = _value_schema(spec)
        label = spec["x-label"]
        for op in ops:
            text = f"{label['en']} ({label['zh']})"
            if op == "eq":
                out.append(query(field_name, value, f"{text} equals."))
            elif op == "in":
                out.append(
                    query(
                        f"{field_name}.in",
                        {"type": "array", "items": value, "minItems": 1},
                        f"{text} is one of: repeat the parameter "
                        f"(`{field_name}.in=A&{field_name}.in=B`) or give one comma-separated "
                        "list; both may be mixed.",
                        style="form",
                        explode=True,
                    )
                )
            elif op == "prefix":
                out.append(
                    query(f"{field_name}.prefix", prefix_schema(spec), f"{text} starts with.")
                )
            else:
                bound = {k: v for k, v in value.items() if k not in ("enum", "const")}
                word = "at least" if op == "gte" else "at most"
                out.append(query(f"{field_name}.{op}", bound, f"{text} is {word}."))
    return out


def _operators_name(dataset: Dataset, field_name: str) -> str:
    """``MarketEntityRegistrationCreditCodeOperators``: a name a generated model keeps."""
    return f"{schema_name(dataset.id)}{field_name[:1].upper()}{field_name[1:]}Operators"


def filter_schema(dataset: Dataset) -> dict[str, Any]:
    """The ``filter`` member of a query body: each filterable field's value or operators (a
    component of its own, see filter_operator_schemas)."""
    properties: dict[str, Any] = {}
    for field_name, ops in dataset.filters.items():
        value = _value_schema(dataset.record_schema["properties"][field_name])
        operators = {"$ref": f"#/components/schemas/{_operators_name(dataset, field_name)}"}
        properties[field_name] = {"anyOf": [value, operators]} if "eq" in ops else operators
    return {"type": "object", "properties": properties, "additionalProperties": False}


def filter_operator_schemas(dataset: Dataset) -> dict[str, Any]:
    """Component name → the operators object of one filterable field (eq, in, gte, lte, prefix
    as its query schema allows)."""
    out: dict[str, Any] = {}
    for field_name, ops in dataset.filters.items():
        value = _value_schema(dataset.record_schema["properties"][field_name])
        by_op: dict[str, Any] = {}
        for op in ops:
            if op == "in":
                by_op[op] = {"type": "array", "items": value, "minItems": 1}
            elif op == "prefix":
                by_op[op] = prefix_schema(dataset.record_schema["properties"][field_name])
            elif op == "eq":
                by_op[op] = value
            else:
                by_op[op] = {k: v for k, v in value.items() if k not in ("enum", "const")}
        out[_operators_name(dataset, field_name)] = {
            "type": "object",
            "properties": by_op,
            "additionalProperties": False,
            "minProperties": 1,
        }
    return out


def dataset_components(dataset: Dataset, limit: Mapping[str, Any]) -> list[Component]:
    """The schemas of one dataset's records, filters, query body and answers; ``limit``: the
    query body's page size."""
    name = schema_name(dataset.id)
    record = schema(f"{name}Record", record_schema(dataset))
    return [
        record,
        schema(f"{name}Filter", filter_schema(dataset)),
        *(schema(n, v) for n, v in filter_operator_schemas(dataset).items()),
        query_component(dataset, limit),
        schema(f"{name}RecordPage", list_of(record, EXCHANGE_META)),
        schema(
            f"{name}RecordResponse", obj({"data": record, "meta": EXCHANGE_META}, ["data", "meta"])
        ),
    ]


def query_component(dataset: Dataset, limit: Mapping[str, Any]) -> Component:
    name = schema_name(dataset.id)
    return schema(
        f"{name}Query",
        obj(
            {
                "filter": {"$ref": f"#/components/schemas/{name}Filter"},
                "fields": {
                    "type": "array",
                    "items": {"enum": list(dataset.fields)},
                    "minItems": 1,
                },
                "regions": {"type": "array", "items": STRING, "minItems": 1},
                "limit": dict(limit),
                "cursor": STRING,
                "strict": {"type": "boolean"},
            },
            additionalProperties=False,
        ),
    )


def dataset_tag(dataset: Dataset) -> dict[str, str]:
    """The tag of a dataset's operations: its title, which a person recognises and a generated
    client names its module after."""
    return {
        "name": dataset.title.en,
        "x-name-zh": dataset.title.zh,
        "description": f"{dataset.title.en} ({dataset.title.zh}): {dataset.description.en}",
    }


def dataset_operations(
    dataset: Dataset, components: Mapping[str, Component]
) -> dict[str, tuple[str, Operation]]:
    """path → (method, operation) for one served dataset, answering the components of
    :func:`dataset_components` (by name)."""
    name = schema_name(dataset.id)
    fields = {
        "name": "fields",
        "in": "query",
        "description": "Only these fields (comma-separated).",
        "schema": {"type": "array", "items": {"enum": list(dataset.fields)}},
        "style": "form",
        "explode": False,
    }
    tag = dataset_tag(dataset)["name"]
    access = (
        " Shared on conditions: an active grant for the client, this dataset and the purpose "
        "is required."
        if dataset.share_type == "conditional"
        else ""
    )
    base = f"/v1/datasets/{dataset.id}"
    page = components[f"{name}RecordPage"]
    return {
        f"{base}/records": (
            "get",
            exchange(
                summary=f"Query {dataset.title.en} records",
                tag=tag,
                operation_id=f"get{name}Records",
                description=f"{dataset.title.zh}. Filters from the query schema.{access}",
                parameters=(
                    PURPOSE_HEADER,
                    *_filter_parameters(dataset),
                    REGION,
                    fields,
                    LIMIT,
                    CURSOR,
                    STRICT,
                ),
                responses=ok("Records.", page),
            ),
        ),
        f"{base}/records/{{key}}": (
            "get",
            exchange(
                summary=f"One {dataset.title.en} record by {dataset.key_field}",
                tag=tag,
                operation_id=f"get{name}Record",
                description=f"{dataset.title.zh}.{access}",
                parameters=(
                    PURPOSE_HEADER,
                    path(
                        "key",
                        f"The {dataset.key_field} of the record.",
                        _value_schema(dataset.record_schema["properties"][dataset.key_field]),
                    ),
                    fields,
                    STRICT,
                ),
                responses=ok("The record.", components[f"{name}RecordResponse"]),
            ),
        ),
        f"{base}/query": (
            "post",
            exchange(
                summary=f"Query {dataset.title.en} records with a JSON body",
                tag=tag,
                operation_id=f"query{name}Records",
                description=f"{dataset.title.zh}.{access}",
                parameters=(PURPOSE_HEADER,),
                body=Body(components[f"{name}Query"]),
                responses=ok("Records.", page),
                problems=(*EXCHANGE_PROBLEMS, 413, 415),
            ),
        ),
    }

"""The OpenAPI document as the ``/docs`` pages read it: operations grouped by tag, parameter and
response tables, schemas as field tables, and type names a person can read.

``/docs`` is the overview (authentication, every operation listed by tag); each tag has a page
of its own (``/docs/<slug>``) with its operations in full and the schemas they use, so no page
holds every dataset's schemas."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from catalog import I18n

_CODE = re.compile(r"`([^`]+)`")
_NUMBERED = re.compile(r"^\d+\.\s+")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a parameter, property or response table."""

    name: str
    where: str
    type: str
    required: bool
    description: Markup
    #: The schema the type refers to (an anchor on the page), if any.
    link: str | None = None


@dataclass(frozen=True, slots=True)
class OperationView:
    anchor: str
    method: str
    path: str
    summary: str
    description: Markup
    scope: str | None
    public: bool
    parameters: tuple[Row, ...]
    body: Row | None
    responses: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class TagView:
    anchor: str
    #: The tag's page: /docs/<slug>.
    slug: str
    name: str
    #: The Chinese name (x-name-zh), or the name.
    name_zh: str
    description: str
    operations: tuple[OperationView, ...]
    #: The schemas the operations refer to, directly or through other schemas.
    schema_names: frozenset[str]

    def label(self, language: str) -> str:
        return I18n(self.name_zh, self.name).text(language)


@dataclass(frozen=True, slots=True)
class SchemaView:
    anchor: str
    name: str
    description: str
    type: str
    properties: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Reference:
    title: str
    version: str
    summary: str
    description: Markup
    server: str
    token_url: str
    scopes: tuple[tuple[str, str], ...]
    tags: tuple[TagView, ...]
    schemas: tuple[SchemaView, ...]

    def tag(self, slug: str) -> TagView | None:
        return next((t for t in self.tags if t.slug == slug), None)

    def schemas_of(self, tag: TagView) -> tuple[SchemaView, ...]:
        return tuple(s for s in self.schemas if s.name in tag.schema_names)


def text_to_html(text: str) -> Markup:
    """Paragraphs, numbered lists and `code` spans of a description, escaped."""
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if all(_NUMBERED.match(line) for line in lines):
            items = "".join(f"<li>{_inline(_NUMBERED.sub('', line))}</li>" for line in lines)
            blocks.append(f"<ol>{items}</ol>")
        else:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return Markup("".join(blocks))  # noqa: S704 - every piece of text was escaped in _inline


def _inline(text: str) -> str:
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text)))


def inline_html(text: str) -> Markup:
    """One line of text with its `code` spans, escaped."""
    return Markup(_inline(text))  # noqa: S704 - the text was escaped in _inline


def schema_anchor(name: str) -> str:
    return f"schema-{name}"


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_text(schema: Any) -> tuple[str, str | None]:
    """A short, readable type for a schema, and the schema it links to if it names one."""
    if not isinstance(schema, Mapping):
        return "any", None
    if "$ref" in schema:
        name = _ref_name(str(schema["$ref"]))
        return name, schema_anchor(name)
    for combinator, word in (("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")):
        if combinator in schema:
            parts = [type_text(s) for s in schema[combinator]]
            link = next((anchor for _, anchor in parts if anchor), None)
            texts = [t for text, _ in parts for t in text.split(word)]
            return word.join(dict.fromkeys(texts)), link
    if "const" in schema:
        return repr(schema["const"]).replace("'", '"'), None
    if "enum" in schema:
        values = ", ".join(str(v) for v in schema["enum"][:8])
        more = ", …" if len(schema["enum"]) > 8 else ""
        return f"one of {values}{more}", None
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if isinstance(kind, list):
        kind = " or ".join(str(k) for k in kind)
    if kind == "array" and "items" in schema:
        inner, link = type_text(schema["items"])
        return f"array of {inner}", link
    text = str(kind)
    if "format" in schema:
        text += f" ({schema['format']})"
    return text, None


def _resolve(document: Mapping[str, Any], item: Mapping[str, Any], kind: str) -> dict[str, Any]:
    if "$ref" in item:
        return dict(document["components"][kind][_ref_name(str(item["$ref"]))])
    return dict(item)


def _parameter_row(document: Mapping[str, Any], item: Mapping[str, Any]) -> Row:
    parameter = _resolve(document, item, "parameters")
    kind, link = type_text(parameter.get("schema", {}))
    return Row(
        name=str(parameter["name"]),
        where=str(parameter["in"]),
        type=kind,
        required=bool(parameter.get("required")),
        description=inline_html(str(parameter.get("description", ""))),
        link=link,
    )


def _response_rows(document: Mapping[str, Any], responses: Mapping[str, Any]) -> list[Row]:
    rows = []
    for status, item in responses.items():
        response = _resolve(document, item, "responses")
        content: dict[str, Any] = response.get("content", {})
        media = ", ".join(content) or "—"
        schema = next(iter(content.values())).get("schema", {}) if content else {}
        kind, link = type_text(schema) if schema else ("—", None)
        rows.append(
            Row(
                name=status,
                where=media,
                type=kind,
                required=False,
                description=inline_html(str(response.get("description", ""))),
                link=link,
            )
        )
    return rows


def _operation_view(
    document: Mapping[str, Any], path: str, method: str, op: Mapping[str, Any]
) -> OperationView:
    security = op.get("security", [])
    scope = next((scopes[0] for req in security for scopes in req.values() if scopes), None)
    body = None
    if "requestBody" in op:
        media, spec = next(iter(op["requestBody"]["content"].items()))
        kind, link = type_text(spec.get("schema", {}))
        required = bool(op["requestBody"].get("required"))
        body = Row("body", media, kind, required, Markup(""), link)
    return OperationView(
        anchor=f"op-{op['operationId']}",
        method=method.upper(),
        path=path,
        summary=str(op.get("summary", "")),
        description=text_to_html(str(op.get("description", ""))),
        scope=scope,
        public=not security,
        parameters=tuple(_parameter_row(document, p) for p in op.get("parameters", [])),
        body=body,
        responses=tuple(_response_rows(document, op.get("responses", {}))),
    )


def _schema_view(name: str, schema: Mapping[str, Any]) -> SchemaView:
    required = set(schema.get("required", []))
    properties = []
    parts = schema.get("allOf", [schema])
    for part in parts:
        for prop, spec in part.get("properties", {}).items():
            kind, link = type_text(spec)
            properties.append(
                Row(
                    name=prop,
                    where="",
                    type=kind,
                    required=prop in required or prop in set(part.get("required", [])),
                    description=inline_html(str(spec.get("description", ""))),
                    link=link,
                )
            )
    kind, _ = type_text({k: v for k, v in schema.items() if k != "properties"})
    return SchemaView(
        anchor=schema_anchor(name),
        name=name,
        description=str(schema.get("description", "")),
        type=kind,
        properties=tuple(properties),
    )


def tag_slug(name: str) -> str:
    """``Hourly air quality`` → ``hourly-air-quality``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "other"


def _used_schemas(document: Mapping[str, Any], node: Any, found: set[str]) -> set[str]:
    """The component schemas ``node`` refers to, following references through components."""
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            _, _, kind, name = ref.split("/", 3)
            key = f"{kind}/{name}"
            if key not in found:
                found.add(key)
                target = document["components"].get(kind, {}).get(name)
                _used_schemas(document, target, found)
        for value in node.values():
            _used_schemas(document, value, found)
    elif isinstance(node, list):
        for item in node:
            _used_schemas(document, item, found)
    return found


def reference(document: Mapping[str, Any]) -> Reference:
    """Everything the reference pages show, in the order they show it."""
    by_tag: dict[str, list[OperationView]] = {}
    used: dict[str, set[str]] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            tag = op.get("tags", ["other"])[0]
            by_tag.setdefault(tag, []).append(_operation_view(document, path, method, op))
            _used_schemas(document, op, used.setdefault(tag, set()))
    described = {t["name"]: t for t in document.get("tags", [])}
    order = [t["name"] for t in document.get("tags", [])] + sorted(set(by_tag) - set(described))
    tags = tuple(
        TagView(
            anchor=f"tag-{tag_slug(name)}",
            slug=tag_slug(name),
            name=name,
            name_zh=str(described.get(name, {}).get("x-name-zh", name)),
            description=str(described.get(name, {}).get("description", "")),
            operations=tuple(by_tag[name]),
            schema_names=frozenset(
                key.split("/", 1)[1] for key in used[name] if key.startswith("schemas/")
            ),
        )
        for name in order
        if name in by_tag
    )
    oauth = document["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    info = document["info"]
    return Reference(
        title=str(info["title"]),
        version=str(info["version"]),
        summary=str(info.get("summary", "")),
        description=text_to_html(str(info.get("description", ""))),
        server=str(document["servers"][0]["url"]),
        token_url=str(oauth["tokenUrl"]),
        scopes=tuple(oauth["scopes"].items()),
        tags=tags,
        schemas=tuple(
            _schema_view(name, schema) for name, schema in document["components"]["schemas"].items()
        ),
    )

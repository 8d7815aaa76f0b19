"""A dataset as the catalogue entry it was built from (catalog/schema/dataset.schema.json): what
another catalogue harvests and checks exactly as one of its own entries."""

from __future__ import annotations

from typing import Any

from catalog.loader import Dataset


def entry_head(dataset: Dataset) -> dict[str, Any]:
    """The entry's description of the dataset (every required property but the key, region
    and schemas): what the catalogue's lists show of each entry."""
    return {
        "id": dataset.id,
        "title": dataset.title.as_json(),
        "description": dataset.description.as_json(),
        "provider": {
            "id": dataset.provider.id,
            "name": dataset.provider.name.as_json(),
            "regions": list(dataset.provider.regions),
        },
        "category": dataset.category,
        "themes": list(dataset.themes),
        "keywords": {"zh": list(dataset.keywords_zh), "en": list(dataset.keywords_en)},
        "shareType": dataset.share_type,
        "level": dataset.level,
        "updateFrequency": dataset.update_frequency,
        "modified": dataset.modified,
    }


def entry_document(dataset: Dataset) -> dict[str, Any]:
    """The entry in the meta-schema's terms; loading it gives the same dataset again."""
    out = entry_head(dataset)
    optional = {
        "issued": dataset.issued,
        "license": dataset.license,
        "landingPage": dataset.landing_page,
    }
    out.update({name: value for name, value in optional.items() if value is not None})
    contact = dataset.contact_point
    if contact is not None:
        point: dict[str, Any] = {"name": contact.name.as_json()}
        point.update({k: v for k, v in (("email", contact.email), ("url", contact.url)) if v})
        out["contactPoint"] = point
    out["keyField"] = dataset.key_field
    out["regionField"] = dataset.region_field
    if dataset.region_from_key is not None:
        start, length = dataset.region_from_key
        out["regionFromKey"] = {"start": start, "length": length}
    out["recordSchema"] = dataset.record_schema
    out["querySchema"] = dataset.query_schema
    return out


__all__ = ["entry_document", "entry_head"]

"""Catalogue entries as the API shows them (camelCase, zh and en side by side)."""

from __future__ import annotations

from typing import Any

from catalog import Dataset

from .services import Configuration


def _i18n(value: Any) -> dict[str, str]:
    return {"zh": value.zh, "en": value.en}


def dataset_summary(dataset: Dataset, config: Configuration) -> dict[str, Any]:
    return {
        "id": dataset.id,
        "title": _i18n(dataset.title),
        "description": _i18n(dataset.description),
        "provider": {
            "id": dataset.provider.id,
            "name": _i18n(dataset.provider.name),
            "regions": list(dataset.provider.regions),
        },
        "themes": list(dataset.themes),
        "keywords": {"zh": list(dataset.keywords_zh), "en": list(dataset.keywords_en)},
        "shareType": dataset.share_type,
        "level": dataset.level,
        "updateFrequency": dataset.update_frequency,
        "modified": dataset.modified,
        "links": {
            "self": f"/v1/catalog/datasets/{dataset.id}",
            "records": f"/v1/datasets/{dataset.id}/records",
            "page": f"/catalog/{dataset.id}",
        },
    }


def dataset_detail(dataset: Dataset, config: Configuration) -> dict[str, Any]:
    nodes = config.routing.nodes_for(dataset.id)
    out = dataset_summary(dataset, config)
    out.update(
        {
            "keyField": dataset.key_field,
            "regionField": dataset.region_field,
            "fields": [
                {
                    "name": f.name,
                    "type": f.type,
                    "format": f.format,
                    "label": _i18n(f.label),
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
            "recordSchema": dataset.record_schema,
            "querySchema": dataset.query_schema,
        }
    )
    return out

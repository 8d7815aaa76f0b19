"""The contract of the category taxonomy in the catalogue API (docs/api.md#categories): the tree
of domains and categories and one node of it, each with its dataset count."""

from __future__ import annotations

from gateway.http.contract import STRING, Operation, list_of, obj, ok, path, schema
from gateway.http.openapi.components import I18N_TEXT

_CATEGORY_LINKS = obj({"self": STRING, "datasets": STRING}, ["self", "datasets"])
CATEGORY_NODE = schema(
    "CategoryNode",
    obj(
        {
            "id": STRING,
            "kind": {"enum": ["domain", "category"]},
            "label": I18N_TEXT,
            "domain": {"type": "string", "description": "A category's domain."},
            "datasets": {"type": "integer", "description": "Datasets classified in it."},
            "links": _CATEGORY_LINKS,
            # A domain's children are categories: the one reference by name.
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/CategoryNode"}},
        },
        ["id", "kind", "label", "datasets", "links"],
    ),
)
CATEGORY_PARENT = obj(
    {"id": STRING, "label": I18N_TEXT, "links": obj({"self": STRING}, ["self"])},
    ["id", "label", "links"],
)
CATEGORIES = Operation(
    "The category taxonomy",
    "catalog",
    operation_id="getCategoryTree",
    description="The domains in order, each with its categories; every node with its zh and "
    "en labels, the number of datasets in it and a link to them.",
    responses=ok(
        "Domains and their categories.",
        schema(
            "CategoryTree",
            list_of(
                CATEGORY_NODE,
                obj(
                    {
                        "domains": {"type": "integer"},
                        "categories": {"type": "integer"},
                        "datasets": {"type": "integer"},
                    },
                    ["domains", "categories", "datasets"],
                ),
            ),
        ),
    ),
)
ONE_CATEGORY = Operation(
    "One domain or category",
    "catalog",
    operation_id="getCategory",
    description="A domain with its categories, or a category with its domain; the number of "
    "datasets in it and a link to them.",
    parameters=(path("category_id", "Domain or category id of the taxonomy."),),
    responses=ok(
        "The domain or category.",
        schema(
            "CategoryResponse",
            obj(
                {
                    "data": {
                        "allOf": [
                            CATEGORY_NODE,
                            obj(
                                {"parent": {"oneOf": [CATEGORY_PARENT, {"type": "null"}]}},
                                ["parent", "children"],
                            ),
                        ]
                    }
                },
                ["data"],
            ),
        ),
    ),
    problems=(404, 500),
)

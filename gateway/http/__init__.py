"""The HTTP surfaces: request guards, caching and linking, the JSON API, the catalogue pages and
the OpenAPI description."""

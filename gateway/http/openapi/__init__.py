"""The OpenAPI 3.1 description of the gateway and the /docs pages that read it."""

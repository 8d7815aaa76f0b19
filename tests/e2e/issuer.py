"""A second authorisation server for federation tests: its own keys, its JWKS served over
loopback by URL, key rotation, and token issuance (RFC 9068 access tokens)."""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class KeyServer:
    """Serves JWKS documents at paths; counts how often each is fetched."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.fetches: dict[str, int] = {}
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        document = self.documents.get(request.path)
        self.fetches[request.path] = self.fetches.get(request.path, 0) + 1
        if document is None:
            return Response("not found", status=404)(environ, start_response)
        return Response(json.dumps(document), content_type="application/json")(
            environ, start_response
        )

    def start(self) -> KeyServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class TestIssuer:
    """Another region's authorisation server: signs with its current key, publishes its keys."""

    __test__ = False  # not a test class

    def __init__(self, server: KeyServer, name: str, audience: str) -> None:
        self.server = server
        self.path = f"/{name}/jwks.json"
        self.issuer = f"{server.url}/{name}"
        self.audience = audience
        self.keys: list[ECKey] = []
        self.rotate()

    @property
    def jwks_uri(self) -> str:
        return self.server.url + self.path

    def rotate(self) -> str:
        """A new signing key; the JWKS publishes it with the previous one."""
        key = ECKey.generate_key("P-256", parameters={"kid": secrets.token_hex(4)}, private=True)
        self.keys = [*self.keys[-1:], key]
        self.server.documents[self.path] = {
            "keys": [k.as_dict(private=False) | {"use": "sig", "alg": "ES256"} for k in self.keys]
        }
        return str(key.kid)

    def token(self, **claims: Any) -> str:
        key = self.keys[-1]
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "aud": self.audience,
            "client_id": "tj-credit-bureau",
            "org_name": "天津市某征信机构",
            "region_code": "120000",
            "org_class": "ent",
            "scope": "data:read catalog:read",
            "jti": secrets.token_hex(8),
            "iat": now,
            "exp": now + 300,
        } | claims
        return jwt.encode({"alg": "ES256", "typ": "at+jwt", "kid": key.kid}, body, key)

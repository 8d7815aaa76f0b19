"""RFC 9457 problem details as the adapter server answers them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response

#: RFC 9457 §3: the media type of a problem details object.
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(Exception):
    """A request that ends in a problem answer; raised in a view and rendered once."""

    def __init__(
        self,
        status: int,
        type: str,
        title: str,
        detail: str,
        *,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = tuple(errors)
        self.headers = dict(headers or {})

    def document(self, instance: str, exchange_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if exchange_id:
            body["exchangeId"] = exchange_id
        if self.errors:
            body["errors"] = [dict(error) for error in self.errors]
        return body

    def response(self, instance: str, exchange_id: str | None) -> Response:
        text = json.dumps(self.document(instance, exchange_id), ensure_ascii=False)
        return Response(
            text,
            status=self.status,
            mimetype=PROBLEM_MEDIA_TYPE,
            headers=dict(self.headers),
        )

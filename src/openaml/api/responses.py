"""The JSON answers every API route sends: a body, its status and an ``x-amzn-RequestId``.

Shared by the AWS JSON 1.1 endpoint (:mod:`.protocol`), the extension endpoints and the request-size
limit (:mod:`.limits`). :func:`json_body` and :func:`error_body` give the bytes for the bare ASGI
path of ``POST /`` (:meth:`~openaml.api.protocol.JsonProtocolEndpoint.asgi`); :func:`json_response` and
:func:`error_response` wrap the same bytes in a Starlette response.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from openaml.errors import OpenAMLError

CONTENT_TYPE = "application/x-amz-json-1.1"


def new_request_id() -> str:
    return str(uuid.uuid4())


def json_body(payload: Mapping[str, Any]) -> bytes:
    return orjson.dumps(payload)


def error_body(error: OpenAMLError) -> bytes:
    """``{"__type", "message"}`` (plus ``code`` for the errors whose wire shape has one)."""
    body: dict[str, Any] = {"__type": error.code, "message": error.message}
    if error.has_code_member:
        body["code"] = error.status
    return orjson.dumps(body)


def json_response(
    payload: Mapping[str, Any], request_id: str, status: int = 200, content_type: str = CONTENT_TYPE
) -> Response:
    return bytes_response(json_body(payload), request_id, status, content_type)


def error_response(error: OpenAMLError, request_id: str, content_type: str = CONTENT_TYPE) -> Response:
    return bytes_response(error_body(error), request_id, error.status, content_type)


def bytes_response(body: bytes, request_id: str, status: int, content_type: str = CONTENT_TYPE) -> Response:
    return Response(
        body, status_code=status, media_type=content_type, headers={"x-amzn-RequestId": request_id}
    )

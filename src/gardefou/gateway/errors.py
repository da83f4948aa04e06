"""HTTP errors in OpenAI's shape, and the handlers that guarantee the gateway never answers 500.

Every error body is ``{"error": {"message", "type", "param", "code"}}`` so that OpenAI clients raise
their usual exceptions. Messages never contain the user's text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("gardefou.gateway")


class GatewayHTTPError(Exception):
    """An error the gateway answers with, already in OpenAI's shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = headers or {}
        super().__init__(message)

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        return error_response(
            self.status, self.message, self.type, self.code, self.param, self.headers
        )


def error_body(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """An OpenAI-shaped error body."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_response(
    status: int,
    message: str,
    type_: str = "invalid_request_error",
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON response carrying an OpenAI-shaped error."""
    return JSONResponse(
        error_body(message, type_, code, param), status_code=status, headers=headers
    )


def sse_error(message: str, type_: str = "upstream_error", code: str | None = None) -> bytes:
    """An SSE event carrying an error (the ``openai`` client raises ``APIError`` on it)."""
    return f"data: {json.dumps(error_body(message, type_, code))}\n\n".encode()


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def _validation_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"type": "invalid", "loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return error_response(400, "request body is not valid JSON", code="invalid_json")
    field = _field_name(tuple(first.get("loc", ())))
    msg = str(first.get("msg", "invalid value"))
    if first.get("type") == "missing":
        msg = "field required"
    return error_response(
        422, f"invalid request: '{field}': {msg}", code="invalid_request", param=field
    )


async def _http_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    type_ = "invalid_request_error" if exc.status_code < 500 else "server_error"
    return error_response(exc.status_code, str(exc.detail), type_, headers=dict(exc.headers or {}))


async def _gateway_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, GatewayHTTPError)
    return exc.response()


async def _unexpected_handler(request: Request, exc: Exception) -> JSONResponse:
    # Log the type and where, never the request body (it may carry the user's text).
    log.error("unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_response(
        502, "the gateway could not complete the request", "gateway_error", "gateway_error"
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: validation → 400/422, known errors → their status, the rest → 502."""
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(GatewayHTTPError, _gateway_handler)
    app.add_exception_handler(Exception, _unexpected_handler)

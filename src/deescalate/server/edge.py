"""What every request goes through before and after its route, as one ASGI middleware.

A request id, header and body size limits, security headers, one JSON access
log line and the Prometheus metrics. Written as plain ASGI rather than
Starlette's ``BaseHTTPMiddleware``, which costs a task and a queue per request.
The access log holds method, path, status, duration and request id: never a
query string, a header or a body, which may carry a customer's words.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .problems import PROBLEM_JSON, encode, problem_body

__all__ = ["API_CSP", "DOCS_CSP", "PAGE_CSP", "Edge", "read_body", "replay"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("deescalate.access")

# JSON answers need nothing; the page may run its own scripts and styles only;
# the interactive docs load FastAPI's Swagger UI bundle and run one inline script.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_METHODS = frozenset({"GET", "HEAD", "OPTIONS", *_BODY_METHODS})


def _headers(policy: str) -> tuple[tuple[bytes, bytes], ...]:
    return (*_COMMON, (b"content-security-policy", policy.encode()))


# Built once: the security headers of each kind of answer.
_API_HEADERS = _headers(API_CSP)
_PAGE_HEADERS = _headers(PAGE_CSP)
_DOCS_HEADERS = _headers(DOCS_CSP)


def _security_headers(path: str) -> tuple[tuple[bytes, bytes], ...]:
    if path.startswith("/v1/"):
        return _API_HEADERS
    if path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        return _DOCS_HEADERS
    if path == "/" or path.startswith("/static/"):
        return _PAGE_HEADERS
    return _API_HEADERS


class Edge:
    """The outermost middleware; see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        max_headers: int,
        log: bool,
        observe: Callable[[str, str, int, float], None] | None,
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.max_headers = max_headers
        self.log = log
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path: str = scope.get("path", "")
        method: str = scope.get("method", "")
        request_id = ""
        size = 0
        length: int | None = None
        for name, value in scope.get("headers", ()):
            size += len(name) + len(value)
            if name == b"x-request-id":
                text = value.decode("latin-1")
                if _REQUEST_ID.fullmatch(text):
                    request_id = text
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
        if not request_id:
            request_id = os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        security = _security_headers(path)
        id_header = (b"x-request-id", request_id.encode())
        status_box = [500]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_box[0] = message["status"]
                # No route sets these headers itself, so they are added, never merged.
                message["headers"] = [*message.get("headers", ()), *security, id_header]
            await send(message)

        try:
            if size > self.max_headers:
                await _refuse(
                    send_with_headers,
                    431,
                    "headers-too-large",
                    "Headers too large",
                    f"request headers are {size} bytes; the limit is {self.max_headers}",
                )
            elif length is not None and (length < 0 or length > self.max_body):
                await _refuse(
                    send_with_headers,
                    413,
                    "body-too-large",
                    "Body too large",
                    f"the body is {length} bytes; the limit is {self.max_body}",
                )
            elif method in _BODY_METHODS:
                body = await read_body(receive, self.max_body)
                if body is None:
                    await _refuse(
                        send_with_headers,
                        413,
                        "body-too-large",
                        "Body too large",
                        f"the body is over the limit of {self.max_body} bytes",
                    )
                else:
                    await self.app(scope, replay(body, receive), send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            duration = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unmatched)"
            if self.observe is not None:
                # Labels stay a small fixed set, whatever methods a client invents.
                label = method if method in _METHODS else "OTHER"
                self.observe(label, template, status_box[0], duration)
            if self.log:
                access_log.info(
                    json.dumps(
                        {
                            "method": method,
                            "path": path[:200],
                            "route": template,
                            "status": status_box[0],
                            "duration_ms": round(duration * 1000, 3),
                            "request_id": request_id,
                        }
                    )
                )


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or ``None`` once it passes ``limit``."""
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` as one message, then what ``receive`` gives."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again


async def _refuse(send: Send, status: int, kind: str, title: str, detail: str) -> None:
    payload = encode(problem_body(status, kind, title, detail))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})

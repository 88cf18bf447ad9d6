"""``GET /v1/pick`` answered in plain ASGI, before the framework's routing.

The pick itself takes about a microsecond; the framework's routing among two
dozen routes, its dependency solving and its response classes cost fifty times
that. So the busiest route is answered here when the request is an ordinary
one, by the very function the declared route calls (:func:`.api.pick_answer`),
with the same body and headers. Anything else goes on to the declared route,
which also stays the one the OpenAPI description shows: another method or
path, a mount under a root path, a missing or wrong API key, and every request
the pick refuses, whose problem document the declared route writes as always.
The middleware around both (CORS when it is on, then :class:`.edge.Edge`) adds
the CORS headers, the security headers, the request id, the metrics and the
access log line either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi.security.utils import get_authorization_scheme_param
from starlette.datastructures import QueryParams

from .api import pick_answer
from .edge import ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    import deescalate as de

    from .app import Keys

__all__ = ["PATH", "HotPick"]

PATH = "/v1/pick"
_JSON = b"application/json"


class HotPick:
    """The middleware; ``route`` is the declared route, reported to the metrics as matched."""

    def __init__(self, app: ASGIApp, *, book: de.Phrasebook, keys: Keys, route: Any) -> None:
        self.app = app
        self.book = book
        self.keys = keys
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "GET"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        body = self._answer(scope)
        if body is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(body)).encode()),
                    (b"content-type", _JSON),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _answer(self, scope: Scope) -> bytes | None:
        """The body of the answer, or ``None`` to leave the request to the declared route."""
        language: str | None = None
        authorization: str | None = None
        for name, value in scope["headers"]:
            # The first of each, decoded as Starlette's Headers decode them.
            if name == b"accept-language" and language is None:
                language = value.decode("latin-1")
            elif name == b"authorization" and authorization is None:
                authorization = value.decode("latin-1")
        if self.keys:
            scheme, credentials = get_authorization_scheme_param(authorization)
            given = credentials if scheme.lower() == "bearer" else None
            if self.keys.caller(given) is None:
                return None
        try:
            text = pick_answer(self.book, QueryParams(scope["query_string"]), language)
        except Exception:
            # A refusal (or a bug): the declared route meets it again and answers it
            # as it answers every error. A pick has no side effects to repeat.
            return None
        return text.encode()

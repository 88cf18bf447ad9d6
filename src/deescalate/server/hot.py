"""The two busiest routes answered in plain ASGI, before the framework's routing.

``GET /v1/pick`` and a conversation turn (``POST /v1/conversations/{id}/say``).
A pick takes about a microsecond and a turn a hundred; the framework's routing
among three dozen routes, its dependency solving, its body handling and its
response classes cost as much again or more. So these two are answered here when
the request is an ordinary one, by the very functions their declared routes call
(:func:`.api.pick_answer`, :func:`.api.say_turn` and :func:`.api.say_answer`),
with the same body and headers. Anything else goes on to the declared route,
which also stays the one the OpenAPI description shows: another method or path,
a mount under a root path, a missing or wrong API key, a body that is not plain
JSON, and every request the library or the service refuses, whose problem
document the declared route writes as always. A refused turn stored nothing,
so the declared route meets the same refusal (or, if the conversation moved on
in between, answers as it would have a moment later). The middleware around both
(CORS when it is on, then :class:`.edge.Edge`) adds the CORS headers, the
security headers, the request id, the metrics and the access log line either way.
"""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from fastapi.exceptions import RequestValidationError
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

import deescalate as de

from .api import pick_answer, say_answer, say_turn
from .conversations import MAX_ID, Conversations
from .edge import ASGIApp, Receive, Scope, Send, read_body, replay
from .problems import ProblemError
from .schemas import SayRequest

if TYPE_CHECKING:
    from .app import Keys

__all__ = ["PICK", "SAY", "Hot"]

PICK = "/v1/pick"
SAY = "/v1/conversations/{conversation_id}/say"
_SAY = re.compile(rf"/v1/conversations/([A-Za-z0-9_-]{{1,{MAX_ID}}})/say")
_JSON = b"application/json"
_MAX_IF_MATCH = 64
# What the declared routes answer with a problem document; anything else is a bug
# or a store that failed, and is raised as the declared route would raise it.
_REFUSALS = (de.DeescalateError, ProblemError, RequestValidationError, ValidationError)


class Hot:
    """The middleware; ``routes`` are the declared routes, reported to the metrics as matched.

    ``inline`` runs a turn on the event loop: for stores whose calls take
    microseconds (SQLite, memory), where handing the work to a thread would cost
    more than the work. Otherwise (Redis, across a network) a turn runs in
    ``turns``, a thread pool of the service's own, so that a store that is slow to
    answer never holds up the event loop; handing a call to it costs about a third
    of what the framework's general-purpose pool costs (no capacity limiter, no
    cancel scopes), which a turn on Redis pays every time.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        book: de.Phrasebook,
        conversations: Conversations,
        keys: Keys,
        routes: dict[str, Any],
        inline: bool,
        turns: Executor | None = None,
        max_body: int,
    ) -> None:
        self.app = app
        self.book = book
        self.conversations = conversations
        self.keys = keys
        self.routes = routes
        self.inline = inline
        self.turns = turns
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            method = scope["method"]
            if method == "GET" and scope["path"] == PICK:
                await self._pick(scope, receive, send)
                return
            if method == "POST":
                match = _SAY.fullmatch(scope["path"])
                if match is not None:
                    await self._say(scope, receive, send, match.group(1))
                    return
        await self.app(scope, receive, send)

    async def _pick(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _first(scope, (b"accept-language", b"authorization"))
        if self._owner(headers[1]) is not None:
            try:
                text = pick_answer(self.book, QueryParams(scope["query_string"]), headers[0])
            except _REFUSALS:
                pass
            else:
                scope["route"] = self.routes[PICK]
                await _answer(send, text, ())
                return
        await self.app(scope, receive, send)

    async def _say(self, scope: Scope, receive: Receive, send: Send, key: str) -> None:
        content_type, if_match, authorization = _first(
            scope, (b"content-type", b"if-match", b"authorization")
        )
        body = await read_body(receive, self.max_body)
        if body is None:  # over the limit: the declared route refuses it
            await self.app(scope, receive, send)
            return
        again = replay(body, receive)
        owner = self._owner(authorization)
        request = _say_request(content_type, body)
        if owner is None or request is None or (if_match and len(if_match) > _MAX_IF_MATCH):
            await self.app(scope, again, send)
            return
        arguments = (self.conversations, key, owner, request, if_match)
        try:
            if self.inline:
                said = say_turn(*arguments)
            elif self.turns is not None:
                loop = asyncio.get_running_loop()
                said = await loop.run_in_executor(self.turns, say_turn, *arguments)
            else:
                said = await run_in_threadpool(say_turn, *arguments)
        except _REFUSALS:
            await self.app(scope, again, send)
            return
        text, etag = say_answer(*said)
        scope["route"] = self.routes[SAY]
        await _answer(send, text, ((b"etag", etag.encode()),))

    def _owner(self, authorization: str | None) -> str | None:
        """Whose key the request carries (as the declared routes' dependency reads it)."""
        if not self.keys:
            return self.keys.caller(None)
        scheme, credentials = get_authorization_scheme_param(authorization)
        return self.keys.caller(credentials if scheme.lower() == "bearer" else None)


def _first(scope: Scope, names: tuple[bytes, ...]) -> list[str | None]:
    """The first value of each header named, decoded as Starlette's Headers decode them."""
    found: list[str | None] = [None] * len(names)
    for name, value in scope["headers"]:
        if name in names:
            index = names.index(name)
            if found[index] is None:
                found[index] = value.decode("latin-1")
    return found


def _say_request(content_type: str | None, body: bytes) -> SayRequest | None:
    """The body as the declared route reads it, or ``None`` for anything but plain JSON."""
    if not body:
        return SayRequest()
    if content_type is None or content_type.lower() != "application/json":
        return None
    try:
        data = json.loads(body)
        return SayRequest() if data is None else SayRequest.model_validate(data)
    except (ValueError, ValidationError):
        return None


async def _answer(send: Send, text: str, headers: tuple[tuple[bytes, bytes], ...]) -> None:
    """A 200 with a JSON body, its headers in the order the declared route writes them."""
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                *headers,
                (b"content-length", str(len(body)).encode()),
                (b"content-type", _JSON),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

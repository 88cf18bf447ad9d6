"""The FastAPI application: ``create_app(settings)`` wires the parts together.

Routes live in :mod:`.api` (``/v1``) and :mod:`.rasa` (``/nlg``); this module
adds the error handlers, API keys, CORS, the operations endpoints (``/healthz``,
``/readyz``, ``/metrics``) and the place for the static page at ``/``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

import deescalate as de

from .conversations import Conversations
from .edge import Edge, access_log
from .metrics import Metrics
from .problems import PROBLEM_JSON, Problem, ProblemError, problem_body, problem_for
from .settings import Settings
from .stores import MemoryStore, SQLiteStore, Store, open_store

__all__ = ["ANONYMOUS", "Caller", "create_app", "create_app_from_env"]

ANONYMOUS = "-"
MAX_KEYS_FILE = 1024 * 1024
MIN_KEY_LENGTH = 16
TURN_THREADS = 32
"""Threads a worker runs conversation turns on when its store is across a network."""


class Caller(str):
    """Who is calling: a digest of their API key, or ``ANONYMOUS`` when keys are off."""


def load_keys(path: str) -> tuple[str, ...]:
    """The API keys in a file: one a line; blank lines and ``#`` comments ignored."""
    file = Path(path)
    if file.stat().st_size > MAX_KEYS_FILE:
        raise ValueError(f"{path}: an API key file is at most {MAX_KEYS_FILE} bytes")
    keys = []
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        key = line.strip()
        if not key or key.startswith("#"):
            continue
        if len(key) < MIN_KEY_LENGTH:
            raise ValueError(
                f"{path}:{number}: an API key has at least {MIN_KEY_LENGTH} characters"
            )
        keys.append(key)
    if not keys:
        raise ValueError(f"{path}: no API keys in the file")
    return tuple(keys)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


_bearer = HTTPBearer(auto_error=False, description="An API key from the server's key file.")


class Keys:
    """The API keys a server accepts; :meth:`caller` says whose a presented key is."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._encoded = tuple(k.encode() for k in keys)

    def __bool__(self) -> bool:
        return bool(self._encoded)

    def caller(self, given: str | None) -> Caller | None:
        """The caller a presented key stands for: ``ANONYMOUS`` when keys are off,
        ``None`` when the key is missing or wrong."""
        if not self._encoded:
            return Caller(ANONYMOUS)
        if not given:
            return None
        candidate = given.encode()
        # Compare with every key, so the time taken says nothing about which matched.
        matched = 0
        for key in self._encoded:
            matched |= secrets.compare_digest(candidate, key)
        return Caller("key:" + _digest(given)) if matched else None


def _authenticator(keys: Keys) -> Any:
    async def caller(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        given = credentials.credentials if credentials is not None else None
        # Rasa's endpoint config can only send a key as ?token=.
        if keys and given is None and request.url.path == "/nlg":
            given = request.query_params.get("token")
        found = keys.caller(given)
        if found is not None:
            return found
        raise ProblemError(
            401,
            "unauthorized",
            "API key required",
            "send a valid key as 'Authorization: Bearer KEY'",
        )

    return caller


def _static_dir() -> Path | None:
    try:
        directory = Path(str(files("deescalate.server").joinpath("static")))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - a zip install
        return None
    return directory if directory.is_dir() else None


def create_app(
    settings: Settings | None = None,
    *,
    book: de.Phrasebook | None = None,
    store: Store | None = None,
    static: Path | None = None,
) -> FastAPI:
    """The service as an ASGI application.

    ``settings`` default to :meth:`Settings.from_env`; ``book`` to the shipped
    catalogues with ``settings.catalogues`` laid on top; ``store`` to the one
    ``settings.store`` names; ``static`` to the page shipped in the package
    (``deescalate/server/static/``: ``index.html`` at ``/``, the rest under ``/static/``).
    """
    from . import api, assist, rasa
    from .hot import PICK, SAY, Hot

    settings = settings or Settings.from_env()
    if book is None:
        book = (
            de.Phrasebook.load(*settings.catalogues)
            if settings.catalogues
            else (de.Phrasebook.default())
        )
    store = store if store is not None else open_store(settings.store)
    keys = Keys(load_keys(settings.api_key_file) if settings.api_key_file else ())
    conversations = Conversations(book, store, ttl=settings.idle_timeout)
    metrics = Metrics()

    inline = isinstance(store, MemoryStore | SQLiteStore)
    # Turns on a store across the network run in a pool of their own (see Hot). It is
    # not shut down with the app, which may be started again (its idle threads end
    # with the process); by the time the app stops, the server has no turn under way.
    turns = None if inline else ThreadPoolExecutor(TURN_THREADS, thread_name_prefix="turn")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="deescalate",
        version=de.__version__,
        summary="What to say to an upset customer, in the customer's own language.",
        description=(
            "The deescalate library over HTTP: stateless picks, tips and playbooks, "
            "conversations kept server-side, and a Rasa NLG endpoint. Errors are RFC 9457 "
            "problem documents. See docs/server.md."
        ),
        lifespan=lifespan,
        responses={
            401: {"model": Problem, "content": {PROBLEM_JSON: {}}},
            413: {"model": Problem, "content": {PROBLEM_JSON: {}}},
            422: {"model": Problem, "content": {PROBLEM_JSON: {}}},
        },
    )
    app.state.book = book
    app.state.store = store
    app.state.conversations = conversations
    app.state.settings = settings
    caller = _authenticator(keys)
    routes = api.router(caller, keys=bool(keys))
    app.include_router(routes)
    app.include_router(assist.router(caller))
    app.include_router(rasa.router(caller))
    _add_error_handlers(app)
    _add_operations(app, metrics, static if static is not None else _static_dir())

    # Inside CORS, so that its headers are added to the quick answers too.
    app.add_middleware(
        Hot,
        book=book,
        conversations=conversations,
        keys=keys,
        routes={PICK: _route(routes, "GET", PICK), SAY: _route(routes, "POST", SAY)},
        inline=inline,
        turns=turns,
        max_body=settings.max_body,
    )
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "Accept-Language"],
            expose_headers=["ETag", "Location", "X-Request-ID"],
            max_age=600,
        )
    if settings.access_log and not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False
    app.add_middleware(
        Edge,
        max_body=settings.max_body,
        max_headers=settings.max_headers,
        log=settings.access_log,
        observe=metrics.observe,
    )
    return app


def _route(router: APIRouter, method: str, path: str) -> APIRoute:
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and method in (route.methods or ()):
            return route
    raise LookupError(f"no route {method} {path}")  # pragma: no cover - a typo here


def create_app_from_env() -> FastAPI:
    """The app as ``DEESCALATE_*`` variables describe it (for ``uvicorn --factory``)."""
    return create_app(Settings.from_env())


def _problem_response(body: dict[str, Any], request: Request) -> JSONResponse:
    body.setdefault("instance", request.url.path)
    headers = {"WWW-Authenticate": "Bearer"} if body["status"] == 401 else None
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


def _add_error_handlers(app: FastAPI) -> None:
    async def library_error(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, de.DeescalateError):  # pragma: no cover - registered for it
            raise exc
        return _problem_response(problem_for(exc), request)

    async def service_error(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, ProblemError):  # pragma: no cover - registered for it
            raise exc
        body = problem_body(exc.status, exc.kind, exc.title, exc.detail, **exc.data)
        return _problem_response(body, request)

    async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
        errors = exc.errors() if isinstance(exc, RequestValidationError) else []
        shown: list[dict[str, Any]] = []
        for e in errors[:20]:
            loc = [str(p) for p in e.get("loc", ())][:8]
            shown.append({"loc": loc, "msg": str(e.get("msg", ""))[:200]})
        detail = "invalid request"
        if shown:
            detail = f"{'.'.join(shown[0]['loc'])}: {shown[0]['msg']}"
        body = problem_body(422, "invalid-request", "Invalid request", detail, errors=shown)
        return _problem_response(body, request)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
        detail = str(exc.detail) if isinstance(exc, StarletteHTTPException) else "error"
        kinds = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}
        body = problem_body(status, kinds.get(status, "http-error"), str(detail), str(detail))
        response = _problem_response(body, request)
        if isinstance(exc, StarletteHTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # A bug of ours: logged here with its traceback, never sent to the client.
        logging.getLogger("deescalate.server").error(
            "unhandled error on %s %s", request.method, request.url.path, exc_info=exc
        )
        body = problem_body(500, "internal", "Internal error", "an unexpected error; it was logged")
        return _problem_response(body, request)

    app.add_exception_handler(de.DeescalateError, library_error)
    app.add_exception_handler(ProblemError, service_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _add_operations(app: FastAPI, metrics: Metrics, static: Path | None) -> None:
    conversations: Conversations = app.state.conversations

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Catalogues loaded and the store reachable",
        responses={503: {"model": Problem, "content": {PROBLEM_JSON: {}}}},
    )
    def readyz() -> dict[str, str]:
        book = conversations.book
        book.locale_data("en")
        if not conversations.store.ping():
            raise ProblemError(503, "not-ready", "Not ready", "the store does not answer")
        return {"status": "ready", "locales": ",".join(book.locales)}

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Request counts and latencies, Prometheus text format",
        response_class=Response,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    def metrics_endpoint() -> Response:
        payload, content_type = metrics.render()
        return Response(payload, media_type=content_type)

    @app.get(
        "/",
        tags=["page"],
        summary="The agent-assist page, when one is installed",
        response_class=Response,
        responses={
            200: {"content": {"text/html": {"schema": {"type": "string"}}}},
            404: {"model": Problem, "content": {PROBLEM_JSON: {}}},
        },
    )
    def page() -> Response:
        index = static / "index.html" if static is not None else None
        if index is None or not index.is_file():
            raise ProblemError(404, "not-found", "No page", "no page is installed; see /docs")
        return FileResponse(index, media_type="text/html")

    if static is not None:
        from fastapi.staticfiles import StaticFiles

        app.mount("/static", StaticFiles(directory=static), name="static")

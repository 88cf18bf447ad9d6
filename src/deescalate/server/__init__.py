"""The deescalate HTTP service (the ``server`` extra).

``deescalate serve`` runs it under uvicorn; ``deescalate.server:create_app``
gives the ASGI application to any other server (gunicorn with uvicorn
workers, granian, ...)::

    uvicorn --factory deescalate.server:create_app

``import deescalate`` never imports this package, and importing this package
imports the web framework only when an app is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi import FastAPI

    from .stores import Store

__all__ = ["Settings", "create_app"]


def create_app(
    settings: Settings | None = None,
    *,
    book: Any = None,
    store: Store | None = None,
    static: Path | None = None,
) -> FastAPI:
    """The service as an ASGI app; settings default to the ``DEESCALATE_*`` variables.

    See :func:`deescalate.server.app.create_app`.
    """
    from .app import create_app as build

    return build(settings, book=book, store=store, static=static)

"""The ``/v1`` routes the agent-assist page needs beyond picks and conversations.

- ``GET /v1/labels``: the interface's labels in a locale, with the source
  locale's wording (and a list of those keys) where the locale has none;
- ``GET /v1/placeholders``: the values the lines of a stage can take, with the
  company's configured defaults (``[values]``, e.g. ``crisis_line``);
- ``GET /v1/coverage``: the translation matrix, locale × situation × stage;
- ``POST /v1/listen`` and ``POST /v1/conversations/{id}/hear``: what the
  customer's words signal (``Phrasebook.listen``, ``Conversation.hear``).

Like :mod:`.api`, each route is a thin call into the public library.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations.

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

import deescalate as de
from deescalate import Stage
from deescalate.catalogue import LABEL_KEYS, PAGE_LABEL_KEYS, SOURCE_LOCALE
from deescalate.i18n import negotiate
from deescalate.models import Kind

from .api import JSON, AcceptLanguage, ConversationId, IfMatch, LocaleQuery
from .api import _book as book_of
from .api import _change as change
from .api import _errors as errors
from .api import _etag as etag
from .api import _json as as_json
from .api import _locale as locale_of
from .conversations import view
from .schemas import MAX_NAME, ConversationView, Locale

__all__ = ["router"]

MAX_UTTERANCE = 10_000
MAX_SITUATIONS = 8


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Labels(_Model):
    """The interface's labels in one catalogue locale."""

    locale: str = Field(description="The catalogue locale the labels are for.")
    labels: dict[str, str] = Field(description="Every label key, in the locale or the source's.")
    fallback: tuple[str, ...] = Field(
        description="The keys the locale has no label for: their text is the source locale's."
    )


class PlaceholderInfo(_Model):
    """A value some line at the stage can take."""

    name: str = Field(description="The placeholder's name, e.g. 'amount'.")
    type: str = Field(description="text, number, money, date or list.")
    optional: bool = Field(description="Whether every line that takes it can do without it.")
    style: str = Field(description="How a list is joined: 'and' or 'or'.")
    description: str = Field(description="What the value is, in English.")
    default: str | None = Field(description="The company's configured value, if any.")


class CoverageCell(_Model):
    """How many of a situation's entries at a stage a locale translates."""

    locale: str
    situation: str
    stage: Stage
    translated: int
    total: int


class CoverageMatrix(_Model):
    """The translation matrix, with the check's problem counts per locale."""

    locales: tuple[str, ...]
    situations: tuple[str, ...]
    stages: tuple[Stage, ...]
    cells: tuple[CoverageCell, ...]
    errors: dict[str, int] = Field(description="Errors the check found, per locale.")
    warnings: dict[str, int] = Field(description="Warnings the check found, per locale.")


class ListenRequest(_Model):
    """The body of ``POST /v1/listen``."""

    text: Annotated[str, StringConstraints(max_length=MAX_UTTERANCE)] = Field(
        description="One utterance: a transcript line or a chat message."
    )
    locale: Locale | None = Field(
        default=None, description="As for pick; default: the Accept-Language header, then 'en'."
    )


class HearRequest(_Model):
    """The body of ``POST /v1/conversations/{id}/hear``."""

    text: Annotated[str, StringConstraints(max_length=MAX_UTTERANCE)] = Field(
        description="What the customer just said or wrote."
    )


class HearResponse(_Model):
    """What was heard in a conversation and what it noted."""

    hearing: de.Hearing
    conversation: ConversationView


_coverage_lock = threading.Lock()


def _labels(book: de.Phrasebook, locale: Any) -> Labels:
    used = negotiate(locale, book.locales).locale
    own = book.locale_data(used).labels
    source = book.locale_data(SOURCE_LOCALE).labels
    labels: dict[str, str] = {}
    fallback: list[str] = []
    for key in sorted(LABEL_KEYS | PAGE_LABEL_KEYS):
        text = own.get(key)
        if not text:
            text = source.get(key) or key
            fallback.append(key)
        labels[key] = text
    return Labels(locale=used, labels=labels, fallback=tuple(fallback))


def _placeholders(book: de.Phrasebook, situations: list[str], stage: Stage) -> list[Any]:
    neutral = book.neutral
    for situation in situations:
        if situation not in neutral.situations:
            raise de.UnknownSituationError(situation, tuple(neutral.situations))
    found: dict[str, PlaceholderInfo] = {}
    for situation in situations:
        for entry_id, _ in neutral.lines.get((situation, stage, Kind.PHRASE), ()):
            for name, spec in neutral.entries[entry_id].placeholders.items():
                known = found.get(name)
                default = book.values.get(name)
                found[name] = PlaceholderInfo(
                    name=name,
                    type=str(spec.type),
                    optional=spec.optional and (known is None or known.optional),
                    style=spec.style,
                    description=spec.description,
                    default=default if isinstance(default, str) else None,
                )
    return list(found.values())


def _coverage(book: de.Phrasebook) -> CoverageMatrix:
    from deescalate.checks import Severity, check

    neutral = book.neutral
    report = check(book)
    cells = []
    for locale_id in book.locales:
        try:
            texts = book.locale_data(locale_id).texts
        except de.CatalogueError:
            texts = {}
        for situation in neutral.situations:
            for stage in Stage:
                ids = [
                    e.id
                    for e in neutral.entries.values()
                    if e.stage is stage and situation in e.situations
                ]
                cells.append(
                    CoverageCell(
                        locale=locale_id,
                        situation=situation,
                        stage=stage,
                        translated=sum(1 for i in ids if i in texts),
                        total=len(ids),
                    )
                )
    counts: dict[Any, dict[str, int]] = {s: dict.fromkeys(book.locales, 0) for s in Severity}
    for problem in report.problems:
        counts[problem.severity][problem.locale] = (
            counts[problem.severity].get(problem.locale, 0) + 1
        )
    return CoverageMatrix(
        locales=book.locales,
        situations=tuple(neutral.situations),
        stages=tuple(Stage),
        cells=tuple(cells),
        errors=counts[Severity.ERROR],
        warnings=counts[Severity.WARNING],
    )


def router(caller: Any) -> APIRouter:
    """The page's ``/v1`` routes; ``caller`` is the API-key dependency."""
    api = APIRouter(prefix="/v1", dependencies=[Depends(caller)], responses=errors)
    Caller = Annotated[str, Depends(caller)]

    @api.get("/labels", response_model=Labels, tags=["catalogue"])
    def labels(
        request: Request, locale: LocaleQuery = None, accept_language: AcceptLanguage = None
    ) -> Response:
        """The interface's labels in a locale (the page's buttons, the stage names)."""
        return as_json(_labels(book_of(request), locale_of(locale, accept_language)))

    @api.get("/placeholders", response_model=list[PlaceholderInfo], tags=["catalogue"])
    def placeholders(
        request: Request,
        stage: Stage,
        situation: Annotated[
            list[Annotated[str, StringConstraints(max_length=MAX_NAME)]] | None,
            Query(max_length=MAX_SITUATIONS, description="Repeatable: a situation and its topic."),
        ] = None,
    ) -> Response:
        """The values the lines of a stage can take, with the company's defaults."""
        found = _placeholders(book_of(request), situation or ["general"], stage)
        return Response("[" + ",".join(p.model_dump_json() for p in found) + "]", media_type=JSON)

    @api.get("/coverage", response_model=CoverageMatrix, tags=["catalogue"])
    def coverage(request: Request) -> Response:
        """The translation matrix (locale × situation × stage) and the check's counts."""
        state = request.app.state
        with _coverage_lock:
            matrix = getattr(state, "coverage_matrix", None)
            if matrix is None:
                matrix = state.coverage_matrix = _coverage(book_of(request))
        return as_json(matrix)

    @api.post("/listen", response_model=de.Heard, tags=["listen"])
    def listen(
        request: Request, body: ListenRequest, accept_language: AcceptLanguage = None
    ) -> Response:
        """What a customer's words signal: hints for the agent, never a verdict."""
        heard = book_of(request).listen(body.text, locale=locale_of(body.locale, accept_language))
        return as_json(heard)

    @api.post(
        "/conversations/{conversation_id}/hear",
        response_model=HearResponse,
        tags=["conversations"],
    )
    def hear(
        request: Request,
        conversation_id: ConversationId,
        owner: Caller,
        body: HearRequest,
        if_match: IfMatch = None,
    ) -> Response:
        """Listen to the customer and note what the direct signals imply."""

        def act(conversation: de.Conversation, meta: dict[str, Any]) -> de.Hearing:
            return conversation.hear(body.text)

        hearing, loaded = change(request, conversation_id, owner, if_match, act)
        return as_json(
            HearResponse(hearing=hearing, conversation=view(loaded)),
            headers={"ETag": etag(loaded.version)},
        )

    return api

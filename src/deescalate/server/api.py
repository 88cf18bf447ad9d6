"""The ``/v1`` routes: the library's picker, tips and playbooks, and conversations.

Each route is a thin call into the public API (``Phrasebook``, ``Conversation``)
and answers with the library's own result model, serialised as
``model_dump_json`` writes it. The locale comes from a ``locale`` parameter,
else the ``Accept-Language`` header, else ``en``.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations, and
# some name the API-key dependency, a local of router().

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any, TypeVar

from babel import Locale
from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import QueryParams

import deescalate as de
from deescalate import Channel, Register, Stage
from deescalate.i18n import parse_preferences

from .conversations import MAX_ID, Conversations, Loaded, over, view
from .problems import PROBLEM_JSON, Problem, ProblemError
from .schemas import (
    MAX_LOCALE,
    MAX_NAME,
    SEED_MAX,
    SEED_MIN,
    ChoicesResponse,
    ConversationCreate,
    ConversationDetail,
    ConversationView,
    EventRequest,
    EventResponse,
    LocaleInfo,
    PickQuery,
    PickRequest,
    SayRequest,
    SayResponse,
    SituationLabel,
    StageInfo,
    StageRequest,
    TipsResponse,
    to_library_values,
)

__all__ = ["pick_answer", "router", "say_answer", "say_turn"]

T = TypeVar("T")

JSON = "application/json"
_errors: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}} for code in (404, 409, 412, 422, 503)
}
ConversationId = Annotated[str, Path(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_-]+$")]
SituationQuery = Annotated[str, Query(min_length=1, max_length=MAX_NAME)]
LocaleQuery = Annotated[
    str | None,
    Query(max_length=MAX_LOCALE, description="A tag or an Accept-Language value; default: header."),
]
AcceptLanguage = Annotated[str | None, Header(max_length=MAX_LOCALE)]
IfMatch = Annotated[str | None, Header(max_length=64, description='The ETag read, e.g. "3".')]
_VALUE = re.compile(r"^([^=]{1,64})=(.*)$", re.DOTALL)


def _json(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type=JSON, headers=headers)


def _locale(given: Any, header: str | None) -> str | list[str]:
    """The locale preferences of a request: the parameter, else the header, else ``en``.

    They are normalised (``da-DK,da;q=0.9`` and ``da_DK, da`` are the same list)
    before the library sees them, so headers that differ only in spelling or
    weights share the library's cached answers instead of growing them.
    """
    raw = given if given else header
    if not raw:
        return "en"
    preferences = parse_preferences(raw)
    if len(preferences) == 1:
        return preferences[0]
    return list(preferences) if preferences else "en"


def _query_values(pairs: list[str] | None) -> dict[str, object]:
    values: dict[str, object] = {}
    for pair in pairs or ():
        match = _VALUE.match(pair)
        if match is None:
            raise ProblemError(
                422, "invalid-request", "Invalid request", "value takes NAME=VALUE", value=pair
            )
        name, value = match.groups()
        current = values.get(name)
        if current is None:
            values[name] = value
        elif isinstance(current, list):
            current.append(value)
        else:
            values[name] = [current, value]
    return values


M = TypeVar("M", bound=BaseModel)


def _from_query(model: type[M], params: QueryParams) -> M:
    """The query string validated as ``model`` (a field typed as a list takes repeats)."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in params:
            data[key] = params.getlist(key) if name in _LIST_FIELDS else params[key]
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in err.errors(include_url=False)]
        ) from None


_LIST_FIELDS = frozenset({"value"})


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """OpenAPI parameters describing ``model`` as a query string."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    required = set(schema.get("required", ()))
    parameters = []
    for key, prop in schema["properties"].items():
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {
            "name": key,
            "in": "query",
            "required": key in required,
            "schema": prop,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def pick_answer(book: de.Phrasebook, params: QueryParams, header: str | None) -> str:
    """The body of ``GET /v1/pick`` for a query and an ``Accept-Language`` header.

    The query is validated by one model rather than parameter by parameter: this
    is the busiest route, and FastAPI's per-parameter handling costs more than
    the pick. :mod:`.hot` answers the same requests with this same function.
    """
    if header is not None and len(header) > MAX_LOCALE:
        raise RequestValidationError(
            [{"loc": ("header", "accept-language"), "msg": "header too long", "type": "too_long"}]
        )
    query = _from_query(PickQuery, params)
    return _pick(book, query, _query_values(query.value), header).model_dump_json()


def _pick(
    book: de.Phrasebook,
    options: PickQuery | PickRequest,
    values: dict[str, object],
    header: str | None,
) -> de.Phrase:
    return book.pick(
        options.stage,
        situation=options.situation,
        locale=_locale(options.locale, header),
        register=options.register_,
        channel=options.channel,
        values=values,
        seed=options.seed,
        gloss=options.gloss,
        strict=options.strict,
        entry=options.entry,
        variant=options.variant,
    )


def _book(request: Request) -> de.Phrasebook:
    book: de.Phrasebook = request.app.state.book
    return book


def _conversations(request: Request) -> Conversations:
    conversations: Conversations = request.app.state.conversations
    return conversations


def _change(
    request: Request,
    conversation_id: str,
    owner: str,
    if_match: str | None,
    act: Callable[[de.Conversation, dict[str, Any]], T],
) -> tuple[T, Loaded]:
    return _conversations(request).change(conversation_id, owner, act, if_match=_if_match(if_match))


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(header: str | None) -> int | None:
    """The version an ``If-Match`` header names; ``None`` for none or ``*``."""
    if header is None or header.strip() == "*":
        return None
    match = re.fullmatch(r'\s*(?:W/)?"(\d{1,18})"\s*', header)
    if match is None:
        # A tag we never issued matches no version.
        return -1
    return int(match.group(1))


def say_turn(
    conversations: Conversations,
    conversation_id: str,
    owner: str,
    body: SayRequest | None,
    if_match: str | None,
) -> tuple[de.Phrase, Loaded]:
    """A turn of ``POST /v1/conversations/{id}/say``, stored; it raises only before storing.

    :mod:`.hot` makes the same turns with this same function.
    """
    body = body or SayRequest()
    values = to_library_values(body.values) or None
    stage, entry = body.stage, body.entry

    def act(conversation: de.Conversation, meta: dict[str, Any]) -> de.Phrase:
        chosen = stage or _stage_of(conversation.book, entry) or conversation.next_stage()
        if chosen is None:
            raise over()
        return conversation.say(chosen, values=values, entry=entry)

    return conversations.change(conversation_id, owner, act, if_match=_if_match(if_match))


def _stage_of(book: de.Phrasebook, entry: str | None) -> Stage | None:
    """The stage of a named entry (``None`` when none is named); an unknown one is refused."""
    if entry is None:
        return None
    found = book.neutral.entries.get(entry)
    if found is None:
        raise de.UnknownEntryError(entry)
    return found.stage


def say_answer(phrase: de.Phrase, loaded: Loaded) -> tuple[str, str]:
    """The body and the ``ETag`` of the answer to a stored turn.

    The body is the JSON of a :class:`SayResponse` (the declared response model),
    written from its two members' own JSON: the same text without validating the
    phrase and the view a second time inside the envelope.
    """
    body = (
        '{"phrase":'
        + phrase.model_dump_json()
        + ',"conversation":'
        + view(loaded).model_dump_json()
        + "}"
    )
    return body, _etag(loaded.version)


# --- labels, cached per catalogue locale ------------------------------------------------

_label_lock = threading.Lock()


@dataclass(frozen=True)
class _Names:
    """The names of stages and situations in one catalogue locale."""

    locale: str
    stages: dict[str, str]
    situations: dict[str, str]
    headings: dict[str, dict[str, str]]
    """Situation id → the stages whose heading there is not the stage's own name."""


@lru_cache(maxsize=64)
def _labels(book: de.Phrasebook, locale: str) -> _Names:
    """The stage labels and situation names in a catalogue locale."""
    general = book.playbook("general", locale=locale)
    stages = {s.stage.value: s.label for s in general.stages}
    books = {s.id: book.playbook(s.id, locale=general.locale) for s in book.situations()}
    headings = {
        sid: {s.stage.value: s.label for s in shown.stages if s.label != stages[s.stage.value]}
        for sid, shown in books.items()
    }
    names = {sid: shown.title for sid, shown in books.items()}
    return _Names(general.locale, stages, names, headings)


def _labels_for(book: de.Phrasebook, locale: Any) -> _Names:
    # The cache is keyed on the negotiated catalogue locale, so headers cannot grow it.
    used = book.pick(Stage.CALM, locale=locale, seed=0).locale
    with _label_lock:
        return _labels(book, used)


def router(caller: Any, *, keys: bool) -> APIRouter:
    """The ``/v1`` routes; ``caller`` is the API-key dependency, on every route when ``keys``.

    Without keys the routes that need no owner run no dependency at all: on the
    busiest routes FastAPI's dependency machinery costs more than the work.
    """
    guard = [Depends(caller)] if keys else []
    api = APIRouter(prefix="/v1", dependencies=guard, responses=_errors)
    Caller = Annotated[str, Depends(caller)]

    # --- stateless picks -------------------------------------------------------------------

    @api.get(
        "/pick",
        response_model=de.Phrase,
        tags=["pick"],
        openapi_extra={"parameters": _query_parameters(PickQuery)},
    )
    async def pick(request: Request) -> Response:
        """A line to say to the customer (``Phrasebook.pick``)."""
        header = request.headers.get("accept-language")
        return Response(pick_answer(_book(request), request.query_params, header), media_type=JSON)

    @api.post("/pick", response_model=de.Phrase, tags=["pick"])
    async def pick_post(
        request: Request, body: PickRequest, accept_language: AcceptLanguage = None
    ) -> Response:
        """A line to say to the customer, with typed values in a JSON body."""
        values = to_library_values(body.values)
        return _json(_pick(_book(request), body, values, accept_language))

    # --- what there is -------------------------------------------------------------------

    @api.get("/locales", response_model=list[LocaleInfo], tags=["catalogue"])
    def locales(request: Request) -> list[LocaleInfo]:
        """The locales with a catalogue, their names and registers."""
        book = _book(request)
        rows = []
        for locale_id in book.locales:
            data = book.locale_data(locale_id)
            parsed = Locale.parse(locale_id)
            rows.append(
                LocaleInfo(
                    locale=locale_id,
                    name=parsed.get_display_name("en") or locale_id,
                    native_name=parsed.get_display_name() or locale_id,
                    registers=data.registers,
                    default_register=data.default_register,
                    usage=data.usage,
                )
            )
        return rows

    @api.get("/situations", response_model=list[SituationLabel], tags=["catalogue"])
    def situations(
        request: Request,
        locale: LocaleQuery = None,
        accept_language: AcceptLanguage = None,
    ) -> list[SituationLabel]:
        """The situation taxonomy, ``general`` first, with names in the locale."""
        book = _book(request)
        names = _labels_for(book, _locale(locale, accept_language))
        return [
            SituationLabel(
                id=s.id,
                parent=s.parent,
                description=s.description,
                inherits=s.inherits,
                ladder=s.ladder,
                label=names.situations.get(s.id, s.id),
                stage_labels=names.headings.get(s.id, {}),
                locale=names.locale,
            )
            for s in book.situations()
        ]

    @api.get("/stages", response_model=list[StageInfo], tags=["catalogue"])
    def stages(
        request: Request,
        locale: LocaleQuery = None,
        accept_language: AcceptLanguage = None,
    ) -> list[StageInfo]:
        """The seven stages in order, with names in the locale."""
        names = _labels_for(_book(request), _locale(locale, accept_language))
        return [
            StageInfo(stage=s, label=names.stages.get(s.value, s.value), locale=names.locale)
            for s in Stage
        ]

    @api.get("/tips", response_model=list[de.Tip], tags=["pick"])
    async def tips(
        request: Request,
        stage: Stage,
        situation: SituationQuery = "general",
        locale: LocaleQuery = None,
        channel: Channel | None = None,
        gloss: Annotated[str | None, Query(max_length=MAX_LOCALE)] = None,
        accept_language: AcceptLanguage = None,
    ) -> Response:
        """Advice for the agent at a stage (``Phrasebook.tips``)."""
        found = _book(request).tips(
            stage,
            situation=situation,
            locale=_locale(locale, accept_language),
            channel=channel,
            gloss=gloss,
        )
        body = "[" + ",".join(t.model_dump_json() for t in found) + "]"
        return Response(body, media_type=JSON)

    @api.get("/playbook/{situation}", response_model=de.Playbook, tags=["pick"])
    def playbook(
        request: Request,
        situation: Annotated[str, Path(min_length=1, max_length=MAX_NAME)],
        locale: LocaleQuery = None,
        register: Register | None = None,
        channel: Channel | None = None,
        value: Annotated[list[str] | None, Query(max_length=32)] = None,
        seed: Annotated[int | None, Query(ge=SEED_MIN, le=SEED_MAX)] = None,
        gloss: Annotated[str | None, Query(max_length=MAX_LOCALE)] = None,
        accept_language: AcceptLanguage = None,
    ) -> Response:
        """Every stage of a contact, in order (``Phrasebook.playbook``)."""
        book = _book(request)
        options: dict[str, Any] = {
            "locale": _locale(locale, accept_language),
            "register": register,
            "channel": channel,
            "seed": seed,
            "gloss": gloss,
        }
        if value:
            options["values"] = _query_values(value)
        try:
            result = book.playbook(situation, **options)
        except de.UnknownSituationError as err:
            # The situation is the resource the URL names: a missing one is a 404.
            raise ProblemError.from_library(err, 404) from None
        return _json(result)

    @api.get("/check", tags=["catalogue"])
    def check(request: Request) -> dict[str, Any]:
        """Validate the catalogues the server runs with (shipped and overlays)."""
        state = request.app.state
        with _label_lock:
            report = getattr(state, "check_report", None)
            if report is None:
                from deescalate.checks import check as run_check

                report = run_check(_book(request))
                state.check_report = report
        return report.model_dump(mode="json") | {"ok": report.ok}

    # --- conversations ---------------------------------------------------------------------

    def _answer(loaded: Loaded, model: BaseModel, status: int = 200) -> Response:
        return _json(model, status, headers={"ETag": _etag(loaded.version)})

    @api.post(
        "/conversations",
        status_code=201,
        response_model=ConversationView,
        tags=["conversations"],
    )
    def create_conversation(
        request: Request,
        owner: Caller,
        body: Annotated[ConversationCreate | None, Body()] = None,
        accept_language: AcceptLanguage = None,
    ) -> Response:
        """Start a conversation; its id is in the body and in ``Location``."""
        body = body or ConversationCreate()
        options: dict[str, Any] = {
            "situation": body.situation,
            "locale": _locale(body.locale, accept_language),
            "register": body.register_,
            "channel": body.channel,
            "gloss": body.gloss,
            "customer_name": body.customer_name,
            "values": body.values,
            "warnings": body.warnings,
            "seed": body.seed,
        }
        loaded = _conversations(request).create(owner, options)
        response = _answer(loaded, view(loaded), 201)
        response.headers["Location"] = f"/v1/conversations/{loaded.key}"
        return response

    @api.get(
        "/conversations/{conversation_id}",
        response_model=ConversationDetail,
        tags=["conversations"],
    )
    def get_conversation(
        request: Request, conversation_id: ConversationId, owner: Caller
    ) -> Response:
        """Where the conversation stands, with its whole state."""
        loaded = _conversations(request).load(conversation_id, owner)
        detail = ConversationDetail(**view(loaded).model_dump(), state=loaded.conversation.state)
        return _answer(loaded, detail)

    @api.post(
        "/conversations/{conversation_id}/say",
        response_model=SayResponse,
        tags=["conversations"],
    )
    def say(
        request: Request,
        conversation_id: ConversationId,
        owner: Caller,
        body: Annotated[SayRequest | None, Body()] = None,
        if_match: IfMatch = None,
    ) -> Response:
        """The next line for a stage (default: the recommended next stage)."""
        said = say_turn(_conversations(request), conversation_id, owner, body, if_match)
        text, etag = say_answer(*said)
        return Response(text, media_type=JSON, headers={"ETag": etag})

    @api.get(
        "/conversations/{conversation_id}/choices",
        response_model=ChoicesResponse,
        tags=["conversations"],
    )
    def choices(
        request: Request,
        conversation_id: ConversationId,
        owner: Caller,
        stage: Annotated[Stage | None, Query(description="Default: the next stage.")] = None,
    ) -> Response:
        """The lines ``say`` chooses from at a stage now, one for each entry; nothing changes.

        Say the one that fits with ``POST …/say`` and its ``entry``.
        """
        loaded = _conversations(request).load(conversation_id, owner)
        conversation = loaded.conversation
        chosen = stage or conversation.next_stage()
        if chosen is None:
            raise over()
        found = conversation.choices(chosen)
        return _answer(loaded, ChoicesResponse(stage=chosen, phrases=found))

    @api.post(
        "/conversations/{conversation_id}/events",
        response_model=EventResponse,
        tags=["conversations"],
    )
    def note(
        request: Request,
        conversation_id: ConversationId,
        owner: Caller,
        body: EventRequest,
        if_match: IfMatch = None,
    ) -> Response:
        """Record what happened, with the customer's exact words."""
        event = de.Event.coerce(body.event)

        def act(conversation: de.Conversation, meta: dict[str, Any]) -> None:
            conversation.note(event, words=body.words)

        _, loaded = _change(request, conversation_id, owner, if_match, act)
        return _answer(loaded, EventResponse(event=event, conversation=view(loaded)))

    @api.post(
        "/conversations/{conversation_id}/tips",
        response_model=TipsResponse,
        tags=["conversations"],
    )
    def conversation_tips(
        request: Request,
        conversation_id: ConversationId,
        owner: Caller,
        body: Annotated[StageRequest | None, Body()] = None,
        if_match: IfMatch = None,
    ) -> Response:
        """Advice for the agent (default: at the recommended stage); noted in the log."""
        wanted = body.stage if body is not None else None

        def act(conversation: de.Conversation, meta: dict[str, Any]) -> tuple[Stage, Any]:
            stage = wanted or conversation.next_stage() or Stage.COOL_DOWN
            return stage, conversation.tips(stage)

        (stage, found), loaded = _change(request, conversation_id, owner, if_match, act)
        return _answer(loaded, TipsResponse(tips=found, stage=stage, conversation=view(loaded)))

    @api.post(
        "/conversations/{conversation_id}/skip",
        response_model=ConversationView,
        tags=["conversations"],
    )
    def skip(
        request: Request,
        conversation_id: ConversationId,
        owner: Caller,
        body: StageRequest,
        if_match: IfMatch = None,
    ) -> Response:
        """Mark a stage done without a suggested line."""
        stage = body.stage
        if stage is None:
            raise ProblemError(422, "invalid-request", "Invalid request", "skip needs a stage")

        def act(conversation: de.Conversation, meta: dict[str, Any]) -> None:
            conversation.skip(stage)

        _, loaded = _change(request, conversation_id, owner, if_match, act)
        return _answer(loaded, view(loaded))

    @api.get(
        "/conversations/{conversation_id}/log",
        response_model=list[de.LogRecord],
        tags=["conversations"],
    )
    def log(request: Request, conversation_id: ConversationId, owner: Caller) -> Response:
        """What was suggested and noted, in order."""
        loaded = _conversations(request).load(conversation_id, owner)
        return Response(
            loaded.conversation.log_json(indent=None),
            media_type=JSON,
            headers={"ETag": _etag(loaded.version)},
        )

    @api.delete(
        "/conversations/{conversation_id}",
        status_code=204,
        response_class=Response,
        tags=["conversations"],
    )
    def delete(request: Request, conversation_id: ConversationId, owner: Caller) -> Response:
        """Forget the conversation."""
        _conversations(request).delete(conversation_id, owner)
        return Response(status_code=204)

    return api

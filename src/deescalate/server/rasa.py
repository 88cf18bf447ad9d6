"""A Rasa NLG endpoint: ``POST /nlg``, so a Rasa assistant can ask deescalate what to say.

Rasa posts ``response`` (the response name), ``arguments``, the ``tracker``
(``sender_id``, ``slots``, ``latest_message``, ...) and ``channel.name``; it
expects a message with ``text`` (and optionally ``buttons``, ``image``,
``elements``, ``attachment``, ``custom``). The rule, documented in
docs/server.md:

- ``utter_deescalate_<stage>`` says the next line for that stage, with ``_`` for
  ``-`` (``utter_deescalate_cool_down``); ``utter_deescalate_next`` says the line
  for the recommended next stage; ``utter_deescalate_<entry>`` says a line of that
  entry, its id with ``_`` for ``.`` and ``-``
  (``utter_deescalate_resolve_wants_manager_busy``), where the bot's own flow
  knows which of a stage's alternatives is true.
- One conversation per ``sender_id`` (and API key), so lines do not repeat and
  the abuse ladder and safety mode carry across turns.
- Locale, situation, register and the customer's name come from the slots (or
  arguments) ``deescalate_locale``, ``deescalate_situation``,
  ``deescalate_register``, ``deescalate_name``; placeholder values from
  arguments and from slots named ``deescalate_value_<name>``.
- An intent named ``deescalate_<event>`` in the latest message (``deescalate_insult``,
  ``deescalate_self_harm``, ...) is noted once, with the message's text as the
  customer's words.
- Rasa's voice channels are ``phone``; every other channel is ``chat``.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations, and
# some name the API-key dependency, a local of router().

import hashlib
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

import deescalate as de
from deescalate import Channel, Stage

from .conversations import Conversations, over
from .problems import PROBLEM_JSON, Problem, ProblemError

__all__ = [
    "PREFIX",
    "VOICE_CHANNELS",
    "NLGRequest",
    "NLGResponse",
    "response_for",
    "response_name",
    "router",
]

PREFIX = "utter_deescalate_"
NEXT = "next"
OPTION_PREFIX = "deescalate_"
VALUE_PREFIX = "deescalate_value_"
# Rasa's input channels that carry a voice call; the rest are text.
VOICE_CHANNELS = frozenset(
    {"twilio_voice", "audiocodes", "jambonz", "genesys", "browser_audio", "vonage_voice"}
)
MAX_SENDER = 256


class _Open(BaseModel):
    # Rasa adds fields between versions: accept what we do not read.
    model_config = ConfigDict(extra="allow")


class NLGIntent(_Open):
    name: Annotated[str, StringConstraints(max_length=200)] | None = None


class NLGMessage(_Open):
    intent: NLGIntent | None = None
    text: Annotated[str, StringConstraints(max_length=4000)] | None = None
    message_id: Annotated[str, StringConstraints(max_length=200)] | None = None


class NLGTracker(_Open):
    sender_id: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SENDER)]
    slots: dict[str, Any] = Field(default_factory=dict)
    latest_message: NLGMessage | None = None
    latest_input_channel: Annotated[str, StringConstraints(max_length=100)] | None = None


class NLGChannel(_Open):
    name: Annotated[str, StringConstraints(max_length=100)] | None = None


class NLGRequest(_Open):
    """Rasa's NLG request, as its documentation describes it."""

    response: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The response name, e.g. 'utter_deescalate_apologise'."
    )
    arguments: dict[str, Any] = Field(default_factory=dict)
    tracker: NLGTracker
    channel: NLGChannel | None = None


class NLGResponse(BaseModel):
    """The message Rasa sends on to the user."""

    text: str
    buttons: list[dict[str, Any]] = Field(default_factory=list)
    image: str | None = None
    elements: list[dict[str, Any]] = Field(default_factory=list)
    attachment: dict[str, Any] | None = None


def channel_for(name: str | None) -> Channel:
    """Our channel for a Rasa channel name."""
    return Channel.PHONE if name and name.lower() in VOICE_CHANNELS else Channel.CHAT


def response_name(entry_id: str) -> str:
    """The response name that asks for a line of ``entry_id``."""
    return PREFIX + entry_id.replace(".", "_").replace("-", "_")


@lru_cache(maxsize=8)
def _entries_by_name(book: de.Phrasebook) -> dict[str, str | None]:
    """Response name → phrase entry id (``None`` where two ids would share a name)."""
    found: dict[str, str | None] = {}
    for entry in book.neutral.entries.values():
        if entry.kind is de.Kind.PHRASE:
            name = response_name(entry.id)
            found[name] = None if name in found else entry.id
    return found


def response_for(book: de.Phrasebook, response: str) -> tuple[Stage | None, str | None]:
    """The stage and the entry a response name asks for; ``(None, None)`` for
    ``utter_deescalate_next``."""
    if not response.startswith(PREFIX):
        raise ProblemError(
            404,
            "unknown-response",
            "Unknown response",
            f"deescalate answers responses named {PREFIX}<stage>, {PREFIX}<entry> or "
            f"{PREFIX}{NEXT}",
            response=response,
        )
    rest = response[len(PREFIX) :]
    if rest == NEXT:
        return None, None
    entries = _entries_by_name(book)
    if response in entries:
        entry_id = entries[response]
        if entry_id is None:
            raise ProblemError(
                404,
                "unknown-response",
                "Unknown response",
                "two entries share this response name: ask for the stage instead",
                response=response,
            )
        return book.neutral.entries[entry_id].stage, entry_id
    return Stage.coerce(rest.replace("_", "-")), None


def _setting(name: str, arguments: dict[str, Any], slots: dict[str, Any]) -> str | None:
    for source in (arguments, slots):
        value = source.get(OPTION_PREFIX + name)
        if isinstance(value, str) and value:
            return value
    return None


def _values(arguments: dict[str, Any], slots: dict[str, Any]) -> dict[str, object]:
    values: dict[str, object] = {}
    for name, value in slots.items():
        if name.startswith(VALUE_PREFIX) and value is not None:
            values[name[len(VALUE_PREFIX) :]] = value
    for name, value in arguments.items():
        if not name.startswith(OPTION_PREFIX) and value is not None:
            values[name] = value
    return values


def _event(intent: str) -> de.Event | None:
    """The event an intent name stands for; ``None`` for the bot's other intents."""
    if not intent.startswith(OPTION_PREFIX):
        return None
    try:
        return de.Event.coerce(intent[len(OPTION_PREFIX) :])
    except de.DeescalateError:
        return None


def conversation_key(owner: str, sender_id: str) -> str:
    """The stored conversation of one Rasa sender, for one API key."""
    digest = hashlib.sha256(f"{owner}\0{sender_id}".encode()).hexdigest()
    return "rasa-" + digest[:48]


def router(caller: Any) -> APIRouter:
    """The ``/nlg`` route; ``caller`` is the API-key dependency."""
    rasa = APIRouter(tags=["rasa"])
    problems: dict[int | str, dict[str, Any]] = {
        code: {"model": Problem, "content": {PROBLEM_JSON: {}}} for code in (404, 409, 422)
    }

    @rasa.post("/nlg", response_model=NLGResponse, responses=problems)
    def nlg(request: Request, body: NLGRequest, owner: Annotated[str, Depends(caller)]) -> Response:
        """Rasa's NLG endpoint: the next line of the sender's conversation."""
        conversations: Conversations = request.app.state.conversations
        stage, entry = response_for(request.app.state.book, body.response)
        tracker = body.tracker
        slots = tracker.slots
        arguments = body.arguments
        name = body.channel.name if body.channel else None
        key = conversation_key(owner, tracker.sender_id)
        if conversations.store.get(key) is None:
            options: dict[str, Any] = {
                "situation": _setting("situation", arguments, slots) or "general",
                "locale": _setting("locale", arguments, slots) or "en",
                "channel": channel_for(name or tracker.latest_input_channel),
            }
            for option, setting in (("register", "register"), ("customer_name", "name")):
                given = _setting(setting, arguments, slots)
                if given is not None:
                    options[option] = given
            try:
                conversations.create(owner, options, key=key)
            except ProblemError as err:
                if err.status != 409:  # another worker created it first: carry on with it
                    raise
        message = tracker.latest_message
        values = _values(arguments, slots) or None

        def act(conversation: de.Conversation, meta: dict[str, Any]) -> de.Phrase:
            if message is not None and message.intent is not None and message.intent.name:
                intent = message.intent.name
                seen = message.message_id or message.text
                event = _event(intent)
                if event is not None and meta.get("rasa_message") != seen:
                    conversation.note(event, words=message.text)
                    meta["rasa_message"] = seen
            wanted = stage or conversation.next_stage()
            if wanted is None:
                raise over()
            if wanted is Stage.COOL_DOWN:
                raise ProblemError(
                    409, "no-line", "No line", "cool-down has tips for the agent, no line"
                )
            return conversation.say(wanted, values=values, entry=entry)

        phrase, _ = conversations.change(key, owner, act)
        answer = NLGResponse(text=phrase.text)
        return Response(answer.model_dump_json(), media_type="application/json")

    return rasa

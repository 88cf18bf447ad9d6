"""The Rasa NLG endpoint: Rasa's documented request in, an answer Rasa accepts out."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

import deescalate as de
from deescalate.server import Settings, create_app
from deescalate.server.app import ANONYMOUS
from deescalate.server.rasa import channel_for, conversation_key, response_for, response_name

REQUEST = json.loads(
    (Path(__file__).parent / "data" / "rasa" / "nlg-request.json").read_text(encoding="utf-8")
)

# The schema Rasa validates an NLG server's answer with (nlg_response_format_spec in
# rasa/core/nlg/callback.py, Rasa 3.x).
RASA_RESPONSE_SCHEMA = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "buttons": {"type": ["array", "null"], "items": {"type": "object"}},
        "elements": {"type": ["array", "null"], "items": {"type": "object"}},
        "attachment": {"type": ["object", "null"]},
        "image": {"type": ["string", "null"]},
        "custom": {"type": "object"},
    },
}

KEY = "rasa-test-key-0123456789"


def lines(stage: str, **options: str) -> set[str]:
    """Every line pick can give for these options (each entry and variant that fits)."""
    book = de.Phrasebook.default()
    return {
        book.pick(stage, entry=entry, variant=variant, **options).text  # type: ignore[arg-type]
        for entry, variant in book.options(stage, **options)  # type: ignore[arg-type]
    }


@pytest.fixture
def client() -> Iterator[TestClient]:
    """An app with a memory store."""
    with TestClient(create_app(Settings(store="memory://", access_log=False))) as c:
        yield c


def request(
    response: str,
    *,
    sender: str = "user_0",
    slots: dict[str, Any] | None = None,
    intent: str | None = None,
    text: str = "Hello",
    message_id: str = "m1",
    channel: str = "collector",
) -> dict[str, Any]:
    """Rasa's documented request with our response name and the given tracker details."""
    body = copy.deepcopy(REQUEST)
    body["response"] = response
    body["tracker"]["sender_id"] = sender
    body["tracker"]["slots"] = slots or {}
    body["channel"]["name"] = channel
    message = body["tracker"]["latest_message"]
    message["text"] = text
    message["message_id"] = message_id
    if intent is not None:
        message["intent"]["name"] = intent
    return body


def test_replay_of_rasas_documented_request(client: TestClient) -> None:
    """Rasa's own example request gets an apology that validates against Rasa's schema."""
    response = client.post("/nlg", json=REQUEST)
    assert response.status_code == 200
    answer = response.json()
    jsonschema.validate(answer, RASA_RESPONSE_SCHEMA)
    assert answer["text"]
    assert answer["text"] in lines("apologise", channel="chat")


def test_one_conversation_per_sender_without_repeats(client: TestClient) -> None:
    """Turns of one sender never repeat a line; another sender has its own conversation."""
    texts = [
        client.post("/nlg", json=request("utter_deescalate_listen", message_id=f"m{i}")).json()[
            "text"
        ]
        for i in range(3)
    ]
    assert len(set(texts)) == 3
    other = client.post("/nlg", json=request("utter_deescalate_listen", sender="u2")).json()
    jsonschema.validate(other, RASA_RESPONSE_SCHEMA)


def test_slots_choose_locale_and_situation(client: TestClient) -> None:
    """The deescalate_locale and deescalate_situation slots set the language and the topic."""
    slots = {"deescalate_locale": "da", "deescalate_situation": "late-delivery"}
    text = client.post("/nlg", json=request("utter_deescalate_apologise", slots=slots)).json()[
        "text"
    ]
    danish = lines("apologise", situation="late-delivery", locale="da", channel="chat")
    assert text in danish


def test_safety_intent_switches_to_safety_mode_for_good(client: TestClient) -> None:
    """An intent deescalate_self_harm puts the sender's conversation in safety mode, once."""
    client.post("/nlg", json=request("utter_deescalate_calm", message_id="a"))
    client.post(
        "/nlg",
        json=request(
            "utter_deescalate_next", intent="deescalate_self_harm", text="words", message_id="b"
        ),
    )
    texts = [
        client.post(
            "/nlg", json=request(name, intent="deescalate_calmed_down", message_id=f"c{i}")
        ).json()["text"]
        for i, name in enumerate(("utter_deescalate_listen", "utter_deescalate_restate"))
    ]
    conversations = client.app.state.conversations  # type: ignore[attr-defined]
    stored = conversations.load(conversation_key(ANONYMOUS, "user_0"), ANONYMOUS).conversation
    assert stored.safety is True
    events = [r.event for r in stored.log if r.kind is de.LogKind.EVENT]
    # The self-harm intent was noted once; calmed-down (twice) changes nothing.
    assert events.count(de.Event.SELF_HARM) == 1
    phrases = [r for r in stored.log if r.kind is de.LogKind.PHRASE]
    assert [r.text for r in phrases[-2:]] == texts
    family = {
        s.id for s in de.Phrasebook.default().situations() if "safety-threat" in (s.id, s.parent)
    }
    assert all(r.situation in family for r in phrases[1:])


def test_unknown_response_names_and_stages(client: TestClient) -> None:
    """A response name outside the rule is a 404 problem; a bad stage in it is a 422."""
    response = client.post("/nlg", json=request("utter_greet"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert client.post("/nlg", json=request("utter_deescalate_sing")).status_code == 422


@pytest.mark.parametrize(
    ("name", "channel"),
    [
        ("twilio_voice", de.Channel.PHONE),
        ("audiocodes", de.Channel.PHONE),
        ("socketio", de.Channel.CHAT),
        ("collector", de.Channel.CHAT),
        (None, de.Channel.CHAT),
    ],
)
def test_channel_names(name: str | None, channel: de.Channel) -> None:
    """Rasa's voice channels are phone; the rest are chat."""
    assert channel_for(name) is channel


@pytest.mark.parametrize(
    ("response", "stage"),
    [
        ("utter_deescalate_apologise", de.Stage.APOLOGISE),
        ("utter_deescalate_cool_down", de.Stage.COOL_DOWN),
        ("utter_deescalate_next", None),
    ],
)
def test_response_name_rule(response: str, stage: de.Stage | None) -> None:
    """utter_deescalate_<stage> names a stage, with _ for -; _next the recommended one."""
    assert response_for(de.Phrasebook.default(), response) == (stage, None)


def test_every_phrase_entry_has_a_response_name_of_its_own() -> None:
    """utter_deescalate_<entry id, _ for . and -> names that entry and its stage, and no
    two phrase entries (nor an entry and a stage) share a name."""
    book = de.Phrasebook.default()
    phrases = [e for e in book.neutral.entries.values() if e.kind is de.Kind.PHRASE]
    assert response_name("resolve.wants-manager.busy") == (
        "utter_deescalate_resolve_wants_manager_busy"
    )
    for entry in phrases:
        assert response_for(book, response_name(entry.id)) == (entry.stage, entry.id)
    names = {response_name(e.id) for e in phrases}
    assert len(names) == len(phrases)
    assert not names & {f"utter_deescalate_{s.value.replace('-', '_')}" for s in de.Stage}


def test_an_entry_response_says_that_entry(client: TestClient) -> None:
    """The bot that knows the manager is busy says the busy line, not one chosen at random,
    and an entry that does not fit the conversation now is a 422 problem."""
    slots = {"deescalate_situation": "wants-manager"}
    book = de.Phrasebook.default()
    busy = {
        book.pick("resolve", situation="wants-manager", channel="chat", entry=e, variant=v).text
        for e, v in book.options("resolve", situation="wants-manager", channel="chat")
        if e == "resolve.wants-manager.busy"
    }
    for n in range(3):
        answer = client.post(
            "/nlg",
            json=request(
                "utter_deescalate_resolve_wants_manager_busy",
                slots=slots,
                sender=f"s{n}",
            ),
        )
        assert answer.status_code == 200
        jsonschema.validate(answer.json(), RASA_RESPONSE_SCHEMA)
        assert answer.json()["text"] in busy
    refused = client.post(
        "/nlg",
        json=request("utter_deescalate_resolve_late_delivery_checking", slots=slots),
    )
    assert refused.status_code == 422
    assert refused.json()["entry_id"] == "resolve.late-delivery.checking"


def test_keys_by_header_or_token(tmp_path: Path) -> None:
    """With keys on, Rasa authenticates by a header or by endpoints.yml's ?token=."""
    keys = tmp_path / "keys.txt"
    keys.write_text(KEY + "\n", encoding="utf-8")
    app = create_app(Settings(store="memory://", access_log=False, api_key_file=str(keys)))
    with TestClient(app) as c:
        assert c.post("/nlg", json=REQUEST).status_code == 401
        assert c.post(f"/nlg?token={KEY}", json=REQUEST).status_code == 200
        headers = {"Authorization": f"Bearer {KEY}"}
        assert c.post("/nlg", json=REQUEST, headers=headers).status_code == 200
        assert c.get(f"/v1/stages?token={KEY}").status_code == 401

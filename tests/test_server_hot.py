"""The busiest routes in plain ASGI: the same answers as the declared routes, only ordinary ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from deescalate.server import Settings, create_app
from deescalate.server.app import Keys
from deescalate.server.edge import Message, Receive, Scope, Send
from deescalate.server.hot import Hot

KEY = "a-key-for-the-tests-0001"
ORIGIN = "https://desk.example"


def _app(tmp_path: Path, *, quick: bool, keys: bool = False, cors: bool = False) -> FastAPI:
    options: dict[str, Any] = {"store": "memory://", "access_log": False}
    if keys:
        key_file = tmp_path / "keys.txt"
        key_file.write_text(KEY + "\n", encoding="utf-8")
        options["api_key_file"] = str(key_file)
    if cors:
        options["cors_origins"] = (ORIGIN,)
    app = create_app(Settings(**options))
    if not quick:
        # The middleware stack is built on the first request: without Hot, every
        # request takes the declared route.
        app.user_middleware = [m for m in app.user_middleware if m.cls is not Hot]
    return app


def _seen(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
    return response.status_code, headers, response.content


_PICKS: list[tuple[str, dict[str, str]]] = [
    ("stage=apologise&situation=late-delivery&seed=3", {"Accept-Language": "da-DK,da;q=0.9"}),
    ("stage=calm&locale=ko&seed=1", {"Accept-Language": "da"}),
    ("stage=resolve&situation=billing-error&value=amount%3D12.5&seed=2", {}),
    ("stage=calm&stage=listen&seed=5", {}),
    ("stage=calm&seed=5&register=informal&channel=chat&gloss=en", {"Accept-Language": "ro"}),
    ("stage=nope", {}),
    ("stage=calm&situation=no-such-situation", {}),
    ("stage=calm&locale=%21%21", {}),
    ("stage=calm&seed=many", {}),
    ("stage=calm&value=novalue", {}),
    ("stage=calm&surprise=1&seed=1", {}),
    ("", {}),
    ("stage=calm", {"Accept-Language": "da," * 200}),
]


@pytest.mark.parametrize(("query", "headers"), _PICKS)
def test_quick_answers_are_the_declared_routes(
    tmp_path: Path, query: str, headers: dict[str, str]
) -> None:
    """Success or problem, a pick gets the same status, headers and body either way."""
    with (
        TestClient(_app(tmp_path, quick=True)) as quick,
        TestClient(_app(tmp_path, quick=False)) as declared,
    ):
        assert _seen(quick.get("/v1/pick?" + query, headers=headers)) == _seen(
            declared.get("/v1/pick?" + query, headers=headers)
        )


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": f"bearer {KEY}"},
        {"Authorization": "Bearer not-the-key-at-all-00"},
        {"Authorization": f"Basic {KEY}"},
        {},
    ],
)
def test_quick_answers_check_the_key_as_the_declared_route(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    """With keys on, a right key gets the pick and anything else the same 401 either way."""
    with (
        TestClient(_app(tmp_path, quick=True, keys=True)) as quick,
        TestClient(_app(tmp_path, quick=False, keys=True)) as declared,
    ):
        url = "/v1/pick?stage=calm&seed=4"
        assert _seen(quick.get(url, headers=headers)) == _seen(declared.get(url, headers=headers))


@pytest.mark.parametrize("origin", [ORIGIN, "https://evil.example"])
def test_quick_answers_carry_cors_headers(tmp_path: Path, origin: str) -> None:
    """With CORS on, a pick from a listed origin gets its CORS headers, others none."""
    with (
        TestClient(_app(tmp_path, quick=True, cors=True)) as quick,
        TestClient(_app(tmp_path, quick=False, cors=True)) as declared,
    ):
        url, headers = "/v1/pick?stage=calm&seed=4", {"Origin": origin}
        response = quick.get(url, headers=headers)
        assert _seen(response) == _seen(declared.get(url, headers=headers))
        assert ("access-control-allow-origin" in response.headers) is (origin == ORIGIN)


# --- conversation turns -------------------------------------------------------------------

CONVERSATION = "the-same-conversation-in-both-apps"
SAY = f"/v1/conversations/{CONVERSATION}/say"
JSON = {"Content-Type": "application/json"}

# Each step: path, body, headers. Both apps make the same turns in the same order.
_TURNS: list[tuple[str, bytes, dict[str, str]]] = [
    (SAY, b"", {}),
    (SAY, b'{"stage": "listen"}', JSON),
    (SAY, b"null", JSON),
    (
        SAY,
        b'{"stage": "resolve", "values": {"amount": {"amount": "12.50", "currency": "EUR"}}}',
        JSON,
    ),
    (SAY, b'{"stage": "nope"}', JSON),
    (SAY, b'{"stage": "calm", "surprise": 1}', JSON),
    (SAY, b'{"stage": ', JSON),
    (SAY, b"[1, 2]", JSON),
    (SAY, b'{"stage": "calm"}', {"Content-Type": "text/plain"}),
    (SAY, b'{"stage": "calm"}', {"Content-Type": "application/json; charset=utf-8"}),
    (SAY, b'{"stage": "calm"}', {**JSON, "If-Match": '"1"'}),
    (SAY, b'{"stage": "calm"}', {**JSON, "If-Match": "x" * 70}),
    (SAY, b'{"stage": "calm", "values": {"no_such": "1"}}', JSON),
    (SAY, b'{"stage": "close"}', JSON),
    (SAY, b'{"entry": "resolve.billing-error.checking"}', JSON),
    (SAY, b'{"stage": "calm", "entry": "resolve.billing-error.checking"}', JSON),
    (SAY, b'{"entry": "resolve.late-delivery.checking"}', JSON),
    (SAY, b'{"entry": "no-such-entry"}', JSON),
    (SAY, b"{}", JSON),
    ("/v1/conversations/not-there/say", b"{}", JSON),
    ("/v1/conversations/bad%20id/say", b"{}", JSON),
    ("/v1/conversations/" + "x" * 65 + "/say", b"{}", JSON),
]


def _start(app: FastAPI, owner: str = "-") -> None:
    options = {"situation": "billing-error", "channel": "chat", "seed": 5, "locale": "en"}
    app.state.conversations.create(owner, options, key=CONVERSATION)


def test_quick_turns_are_the_declared_routes(tmp_path: Path) -> None:
    """Turn after turn, refusals included, both ways give the same status, headers and body."""
    quick_app, declared_app = _app(tmp_path, quick=True), _app(tmp_path, quick=False)
    with TestClient(quick_app) as quick, TestClient(declared_app) as declared:
        _start(quick_app)
        _start(declared_app)
        statuses = []
        for path, body, headers in _TURNS:
            mine = quick.post(path, content=body, headers=headers)
            theirs = declared.post(path, content=body, headers=headers)
            assert _seen(mine) == _seen(theirs), (path, body, headers)
            statuses.append(mine.status_code)
        assert set(statuses) == {200, 404, 412, 422}
        assert quick.get(f"/v1/conversations/{CONVERSATION}").json()["turns"] == 7


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": "Bearer not-the-key-at-all-00"},
        {},
    ],
)
def test_quick_turns_check_the_key_as_the_declared_route(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    """With keys on, the owner's key gets the turn and anything else the same problem."""
    quick_app = _app(tmp_path, quick=True, keys=True)
    declared_app = _app(tmp_path, quick=False, keys=True)
    owner = Keys((KEY,)).caller(KEY)
    assert owner is not None
    with TestClient(quick_app) as quick, TestClient(declared_app) as declared:
        _start(quick_app, owner)
        _start(declared_app, owner)
        mine = quick.post(SAY, json={"stage": "calm"}, headers=headers)
        assert _seen(mine) == _seen(declared.post(SAY, json={"stage": "calm"}, headers=headers))
        assert mine.status_code == (200 if headers.get("Authorization", "").endswith(KEY) else 401)


class _Counting:
    """Counts the requests that reach the app it wraps."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture(params=[True, False], ids=["inline", "threads"])
def counted(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient, _Counting]]:
    """A Hot in front of a counted, complete app, running turns inline or in threads."""
    app = _app(tmp_path, quick=True)
    inner = _Counting(app)
    outer = Hot(
        inner,
        book=app.state.book,
        conversations=app.state.conversations,
        keys=Keys(()),
        routes={"/v1/pick": None, "/v1/conversations/{conversation_id}/say": None},
        inline=request.param,
        max_body=64 * 1024,
    )
    with TestClient(outer) as client:
        _start(app)
        yield client, inner


def test_ordinary_picks_are_answered_without_the_router(
    counted: tuple[TestClient, _Counting],
) -> None:
    """An ordinary pick never reaches the app behind; refusals and other routes do."""
    client, inner = counted
    assert client.get("/v1/pick?stage=calm").status_code == 200
    assert inner.calls == 0
    refused = client.get("/v1/pick?stage=nope")
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert client.post("/v1/pick", json={"stage": "calm"}).status_code == 200
    assert client.get("/v1/pick/", follow_redirects=False).status_code == 307
    assert inner.calls == 3


def test_ordinary_turns_are_answered_without_the_router(
    counted: tuple[TestClient, _Counting],
) -> None:
    """An ordinary turn never reaches the app behind; a refused one stores nothing there."""
    client, inner = counted
    said = client.post(SAY, json={"stage": "calm"})
    assert said.status_code == 200
    assert said.headers["etag"] == '"2"'
    assert inner.calls == 0
    stale = client.post(SAY, json={"stage": "listen"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert inner.calls == 1
    state = client.get(f"/v1/conversations/{CONVERSATION}")
    assert state.headers["etag"] == '"2"'
    assert state.json()["turns"] == 1


def test_quick_answers_are_counted_under_the_route_template(tmp_path: Path) -> None:
    """The metrics count quick picks and turns under their route templates."""
    app = _app(tmp_path, quick=True)
    with TestClient(app) as client:
        _start(app)
        for _ in range(3):
            client.get("/v1/pick?stage=calm")
        client.post(SAY, json={"stage": "calm"})
        text = client.get("/metrics").text
    for line in (
        'deescalate_http_requests_total{method="GET",route="/v1/pick",status="200"} 3.0',
        'deescalate_http_requests_total{method="POST",'
        'route="/v1/conversations/{conversation_id}/say",status="200"} 1.0',
    ):
        assert line in text


def test_a_quick_answer_is_two_messages_with_its_length(tmp_path: Path) -> None:
    """A quick answer is one start message with its length and one body message."""
    app = _app(tmp_path, quick=True)
    sent: list[Message] = []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1/pick",
        "query_string": b"stage=calm&seed=1",
        "headers": [],
    }

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    length = dict(sent[0]["headers"])[b"content-length"]
    assert int(length) == len(sent[1]["body"])

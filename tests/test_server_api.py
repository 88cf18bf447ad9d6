"""The HTTP service through Starlette's TestClient: routes, problems, keys, limits, headers."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import deescalate as de
from deescalate.server import Settings, create_app
from deescalate.server.api import say_answer, say_turn
from deescalate.server.conversations import Conversations, view
from deescalate.server.problems import TYPE_PREFIX, problem_type
from deescalate.server.schemas import SayRequest, SayResponse
from deescalate.server.stores import MemoryStore, SQLiteStore

KEY_A = "a-key-for-the-tests-0001"
KEY_B = "b-key-for-the-tests-0002"


def make_client(tmp_path: Path | None = None, **settings: object) -> TestClient:
    options: dict[str, object] = {"store": "memory://", "access_log": False, **settings}
    return TestClient(create_app(Settings(**options)))  # type: ignore[arg-type]


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client of an app with a memory store and no keys."""
    with make_client() as c:
        yield c


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app that requires one of two API keys."""
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# two keys\n{KEY_A}\n\n{KEY_B}\n", encoding="utf-8")
    with make_client(api_key_file=str(keys)) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- the stateless endpoints ---------------------------------------------------------------


def test_pick_takes_the_locale_from_accept_language(client: TestClient) -> None:
    """GET /v1/pick with only an Accept-Language header answers in that language."""
    response = client.get(
        "/v1/pick",
        params={"stage": "apologise", "situation": "late-delivery", "seed": 3},
        headers={"Accept-Language": "da-DK,da;q=0.9"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    expected = de.Phrasebook.default().pick(
        "apologise", situation="late-delivery", locale="da-DK,da;q=0.9", seed=3
    )
    assert body == json.loads(expected.model_dump_json())
    assert body["locale"] == "da"


def test_pick_parameter_beats_the_header(client: TestClient) -> None:
    """A locale parameter wins over Accept-Language."""
    body = client.get(
        "/v1/pick", params={"stage": "calm", "locale": "ko"}, headers={"Accept-Language": "da"}
    ).json()
    assert body["locale"] == "ko"


def test_pick_post_takes_typed_money(client: TestClient) -> None:
    """POST /v1/pick formats money given as {amount, currency} for the locale."""
    body = client.post(
        "/v1/pick",
        json={
            "stage": "resolve",
            "situation": "billing-error",
            "locale": "ro",
            "entry": "resolve.billing-error.voucher",
            "values": {"amount": {"amount": "12.50", "currency": "RON"}},
        },
    ).json()
    assert "12,50\xa0RON" in body["text"]


def test_pick_get_values_and_dates(client: TestClient) -> None:
    """GET takes value=NAME=VALUE pairs; the text shows the value."""
    body = client.get(
        "/v1/pick",
        params={"stage": "restate", "locale": "en", "value": "summary=the parcel is lost"},
    ).json()
    assert "the parcel is lost" in body["text"]


def test_tips_and_playbook_are_the_library_models(client: TestClient) -> None:
    """Tips and playbooks are the library's result models as JSON."""
    book = de.Phrasebook.default()
    tips = client.get("/v1/tips", params={"stage": "listen", "situation": "wants-manager"})
    assert tips.json() == [
        json.loads(t.model_dump_json()) for t in book.tips("listen", situation="wants-manager")
    ]
    playbook = client.get("/v1/playbook/abusive-language", params={"locale": "ko", "seed": 1})
    assert playbook.json() == json.loads(
        book.playbook("abusive-language", locale="ko", seed=1).model_dump_json()
    )


def test_locales_stages_and_situations_have_names(client: TestClient) -> None:
    """The page's lists: locale names, stage labels and situation labels in a locale."""
    locales = {row["locale"]: row for row in client.get("/v1/locales").json()}
    assert set(locales) == set(de.Phrasebook.default().locales)
    assert locales["da"]["native_name"] == "dansk"
    assert locales["da"]["registers"] == ["formal", "informal"]
    stages = client.get("/v1/stages", params={"locale": "da"}).json()
    assert [s["stage"] for s in stages] == [s.value for s in de.Stage]
    assert all(s["locale"] == "da" and s["label"] for s in stages)
    situations = client.get("/v1/situations", headers={"Accept-Language": "ko"}).json()
    assert situations[0]["id"] == "general"
    assert {s["locale"] for s in situations} == {"ko"}
    assert all(s["label"] and s["label"] != s["id"] for s in situations)
    labels = de.Phrasebook.default().locale_data("ko").labels
    headings = {s["id"]: s["stage_labels"] for s in situations}
    for sid in ("safety-threat", "safety-self-harm", "safety-violence"):
        assert headings[sid] == {"apologise": labels["acknowledge"]}
    assert headings["general"] == headings["late-delivery"] == {}


def test_check_reports_the_catalogues(client: TestClient) -> None:
    """/v1/check validates the catalogues the server runs with."""
    body = client.get("/v1/check").json()
    assert body["ok"] is True
    assert {c["locale"] for c in body["coverage"]} == set(de.Phrasebook.default().locales)


def test_check_sees_an_overlay(tmp_path: Path) -> None:
    """A server started with an overlay checks it, and picks from it."""
    overlay = tmp_path / "acme"
    overlay.mkdir()
    (overlay / "entries.toml").write_text('[values]\ncompany = "Acme"\n', encoding="utf-8")
    with make_client(catalogues=(str(overlay),)) as c:
        assert c.get("/v1/check").json()["ok"] is True
        book = c.app.state.book  # type: ignore[attr-defined]
        texts = [
            c.get("/v1/pick", params={"stage": "close", "entry": entry, "variant": variant})
            for entry, variant in book.options("close")
        ]
        assert any("Acme" in t.json()["text"] for t in texts)


# --- problems ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "error"),
    [
        ("/v1/pick", {"stage": "calm", "situation": "nope"}, 422, "UnknownSituationError"),
        ("/v1/pick", {"stage": "calm", "locale": "!!"}, 422, "InvalidLocaleError"),
        (
            "/v1/pick",
            {"stage": "restate", "entry": "restate.summary"},
            422,
            "MissingValueError",
        ),
        ("/v1/pick", {"stage": "calm", "value": "nonsense=1"}, 422, "UnexpectedValueError"),
        ("/v1/pick", {"stage": "calm", "entry": "calm.nope"}, 422, "UnknownEntryError"),
        ("/v1/playbook/nope", {}, 404, "UnknownSituationError"),
        ("/v1/tips", {"stage": "calm", "situation": "nope"}, 422, "UnknownSituationError"),
    ],
)
def test_library_errors_are_problem_documents(
    client: TestClient, path: str, params: dict[str, str], status: int, error: str
) -> None:
    """Each library error is an RFC 9457 document with its class's type and data."""
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["error"] == error
    assert body["type"] == problem_type(getattr(de, error))
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.text


def test_problem_carries_the_error_data(client: TestClient) -> None:
    """The error's own attributes are fields of the problem document."""
    body = client.get("/v1/pick", params={"stage": "restate", "entry": "restate.summary"}).json()
    assert body["entry_id"].startswith("restate.")
    assert body["names"] == ["summary"]


def test_every_library_error_class_has_a_type_and_a_status() -> None:
    """Every DeescalateError subclass the library exports maps to its own type and a 4xx/5xx."""
    from deescalate.server.problems import problem_for

    classes = [
        getattr(de, n)
        for n in de.__all__
        if isinstance(getattr(de, n), type) and issubclass(getattr(de, n), de.DeescalateError)
    ]
    types = {problem_type(cls) for cls in classes}
    assert len(types) == len(classes)
    assert all(t.startswith(TYPE_PREFIX) for t in types)

    class NewError(de.InvalidValueError):
        """A subclass the library might add later."""

    body = problem_for(NewError("x", "a number", "y"))
    assert body["status"] == 422 and body["type"] == TYPE_PREFIX + "new"


def test_request_validation_is_a_problem(client: TestClient) -> None:
    """A body that does not fit the schema is a 422 problem listing the fields."""
    response = client.post("/v1/pick", json={"stage": "calm", "seed": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "seed"]


def test_unknown_path_and_method_are_problems(client: TestClient) -> None:
    """404 and 405 from routing are problem documents too."""
    assert client.get("/v2/nothing").headers["content-type"] == "application/problem+json"
    response = client.put("/v1/pick")
    assert response.status_code == 405
    assert response.json()["type"] == TYPE_PREFIX + "method-not-allowed"


# --- limits and headers --------------------------------------------------------------------


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    """A body over max_body is refused with 413, with or without Content-Length."""
    big = json.dumps({"stage": "calm", "situation": "x" * 70_000})
    response = client.post("/v1/pick", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["type"] == TYPE_PREFIX + "body-too-large"

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 1000

    response = client.post("/v1/pick", content=chunks())
    assert response.status_code == 413


def test_headers_over_the_limit_are_431(client: TestClient) -> None:
    """Headers over max_headers are refused."""
    response = client.get("/v1/pick?stage=calm", headers={"X-Filler": "x" * 20_000})
    assert response.status_code == 431


def test_security_headers_on_every_response(client: TestClient) -> None:
    """Every answer, success or problem, carries the security headers and a request id."""
    for response in (client.get("/healthz"), client.get("/v1/pick?stage=nope")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert len(response.headers["x-request-id"]) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"


def test_the_page_is_served_at_the_root_with_its_strict_csp(client: TestClient) -> None:
    """/ is the agent-assist page (HTML), and its files under /static share its CSP."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    script = client.get("/static/page.js")
    assert script.status_code == 200
    assert "script-src 'self'" in script.headers["content-security-policy"]


def test_cors_is_off_by_default(client: TestClient) -> None:
    """Without --cors-origin no Access-Control header is sent."""
    response = client.get("/healthz", headers={"Origin": "https://desk.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allow_list() -> None:
    """With an allow-list, listed origins get CORS headers and others do not."""
    with make_client(cors_origins=("https://desk.example",)) as c:
        ok = c.options(
            "/v1/pick",
            headers={"Origin": "https://desk.example", "Access-Control-Request-Method": "GET"},
        )
        assert ok.headers["access-control-allow-origin"] == "https://desk.example"
        other = c.get("/healthz", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


# --- operations ----------------------------------------------------------------------------


def test_health_ready_and_metrics(client: TestClient) -> None:
    """/healthz, /readyz and /metrics answer; metrics count requests by route template."""
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"
    client.get("/v1/playbook/general")
    text = client.get("/metrics").text
    assert 'deescalate_http_requests_total{method="GET",route="/v1/playbook/{situation}"' in text
    assert "deescalate_http_request_duration_seconds_bucket" in text


def test_access_log_has_no_customer_words(caplog: pytest.LogCaptureFixture) -> None:
    """The access log line has method, path, status, duration, request id and no values."""
    with make_client(access_log=True) as c:
        caplog.set_level("INFO", logger="deescalate.access")
        from deescalate.server.edge import access_log

        access_log.addHandler(caplog.handler)
        try:
            created = c.post("/v1/conversations", json={"customer_name": "Secret Name"}).json()
            c.post(
                f"/v1/conversations/{created['id']}/events",
                json={"event": "insult", "words": "very secret words"},
            )
        finally:
            access_log.removeHandler(caplog.handler)
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "deescalate.access"]
    assert len(lines) >= 2
    assert set(lines[-1]) >= {"method", "path", "status", "duration_ms", "request_id"}
    assert "secret" not in caplog.text.lower()


def test_importing_deescalate_does_not_import_the_server() -> None:
    """`import deescalate` (and the CLI's parser) imports neither the service nor FastAPI."""
    code = (
        "import sys, deescalate, deescalate.cli; deescalate.cli.build_parser();"
        "print(any(m.startswith(('fastapi', 'deescalate.server.app', 'uvicorn')) "
        "for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- conversations -------------------------------------------------------------------------


def test_conversation_lifecycle(client: TestClient) -> None:
    """Create (201, Location, ETag), say, note, tips, state, log, delete."""
    created = client.post(
        "/v1/conversations",
        json={"situation": "late-delivery", "channel": "phone", "seed": 0},
        headers={"Accept-Language": "da"},
    )
    assert created.status_code == 201
    conversation = created.json()
    assert created.headers["location"] == f"/v1/conversations/{conversation['id']}"
    assert created.headers["etag"] == '"1"'
    assert conversation["locale"] == "da" and conversation["next_stage"] == "calm"
    url = created.headers["location"]

    said = client.post(f"{url}/say", json={})
    assert said.status_code == 200 and said.headers["etag"] == '"2"'
    assert said.json()["phrase"]["stage"] == "calm"
    assert said.json()["conversation"]["next_stage"] == "listen"

    noted = client.post(f"{url}/events", json={"event": "insult", "words": "useless"}).json()
    assert noted["conversation"]["situation"] == "abusive-language"
    assert noted["conversation"]["ladder_step"] == 1

    tips = client.post(f"{url}/tips", json={"stage": "calm"}).json()
    assert tips["stage"] == "calm" and tips["tips"]

    skipped = client.post(f"{url}/skip", json={"stage": "listen"}).json()
    assert skipped["turns"] == 4

    detail = client.get(url).json()
    assert detail["state"]["ladder_step"] == 1
    log = client.get(f"{url}/log").json()
    assert [r["kind"] for r in log] == ["phrase", "event", "tips", "skip"]
    assert log[1]["words"] == "useless"

    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


def test_choices_then_the_agents_choice(client: TestClient) -> None:
    """GET …/choices lists one line per entry and changes nothing; say with that entry says
    it (its stage taken from the entry); after "the manager is busy" the close never hands
    the customer over; an entry that does not fit now is a 422 naming it."""
    url = client.post(
        "/v1/conversations", json={"situation": "wants-manager", "channel": "phone", "seed": 2}
    ).headers["location"]
    offered = client.get(f"{url}/choices", params={"stage": "resolve"})
    assert offered.status_code == 200 and offered.headers["etag"] == '"1"'
    ids = [p["id"] for p in offered.json()["phrases"]]
    assert offered.json()["stage"] == "resolve"
    assert {"resolve.wants-manager.connect", "resolve.wants-manager.busy"} <= set(ids)
    assert len(ids) == len(set(ids))
    assert client.get(url).json()["turns"] == 0
    busy = next(p for p in offered.json()["phrases"] if p["id"] == "resolve.wants-manager.busy")

    said = client.post(f"{url}/say", json={"entry": "resolve.wants-manager.busy"}).json()
    assert said["phrase"] == busy
    closes = {p["id"] for p in client.get(f"{url}/choices?stage=close").json()["phrases"]}
    assert closes and "close.wants-manager.handing-over" not in closes

    wrong = client.post(f"{url}/say", json={"entry": "close.wants-manager.handing-over"})
    assert wrong.status_code == 422
    assert wrong.json()["entry_id"] == "close.wants-manager.handing-over"
    assert client.post(f"{url}/say", json={"entry": "x" * 65}).status_code == 422
    assert client.get(f"{url}/choices?stage=sing").status_code == 422
    assert client.get(url).json()["turns"] == 1


def test_conversation_state_is_the_resumable_state(client: TestClient) -> None:
    """The state the service returns resumes in the library to the same conversation."""
    url = client.post("/v1/conversations", json={"seed": 5}).headers["location"]
    client.post(f"{url}/say", json={"stage": "calm"})
    state = client.get(url).json()["state"]
    resumed = de.Phrasebook.default().resume(state)
    nxt = client.post(f"{url}/say", json={"stage": "listen"}).json()["phrase"]
    assert resumed.say("listen").id == nxt["id"]


def test_safety_mode_cannot_be_switched_off_by_a_client(client: TestClient) -> None:
    """After violence, calmed-down and any say stay in safety mode; no field turns it off."""
    family = {
        s.id for s in de.Phrasebook.default().situations() if "safety-threat" in (s.id, s.parent)
    }
    url = client.post("/v1/conversations", json={"channel": "phone"}).headers["location"]
    client.post(f"{url}/events", json={"event": "violence"})
    client.post(f"{url}/events", json={"event": "calmed-down"})
    for _ in range(7):
        said = client.post(f"{url}/say", json={}).json()
        if said.get("phrase"):
            assert said["conversation"]["safety"] is True
            assert said["phrase"]["situation"] in family
    refused = client.post(f"{url}/say", json={"stage": "calm", "safety": False})
    assert refused.status_code == 422
    assert client.get(url).json()["safety"] is True


def test_stale_if_match_is_412(client: TestClient) -> None:
    """A write with an If-Match older than the stored version is refused with 412."""
    url = client.post("/v1/conversations", json={}).headers["location"]
    assert client.post(f"{url}/say", json={}, headers={"If-Match": '"1"'}).status_code == 200
    stale = client.post(f"{url}/say", json={}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert client.post(f"{url}/say", json={}, headers={"If-Match": "*"}).status_code == 200
    assert client.post(f"{url}/say", json={}, headers={"If-Match": "junk"}).status_code == 412


def test_bad_event_and_unknown_conversation(client: TestClient) -> None:
    """An unknown event is an InvalidOptionError problem; an unknown id is 404."""
    url = client.post("/v1/conversations", json={}).headers["location"]
    bad = client.post(f"{url}/events", json={"event": "sang-a-song"})
    assert bad.status_code == 422 and bad.json()["error"] == "InvalidOptionError"
    missing = client.post("/v1/conversations/" + "A" * 43 + "/say", json={})
    assert missing.status_code == 404
    assert missing.json()["type"] == TYPE_PREFIX + "conversation-not-found"


def test_conversation_ids_are_long_and_random(client: TestClient) -> None:
    """Ids carry at least 128 random bits: 43 URL-safe characters, never repeated."""
    ids = {client.post("/v1/conversations", json={}).json()["id"] for _ in range(20)}
    assert len(ids) == 20
    assert all(len(i) >= 22 for i in ids)  # 22 base64 characters hold 128 bits


def test_concurrent_says_give_distinct_turns(tmp_path: Path) -> None:
    """50 simultaneous say calls on one SQLite conversation: 50 turns, no line twice."""
    store = SQLiteStore(tmp_path / "c.sqlite3")
    app = create_app(Settings(access_log=False), store=store)
    with TestClient(app) as c:
        url = c.post("/v1/conversations", json={"channel": "chat", "seed": 1}).headers["location"]

        def say(_: int) -> tuple[int, str, int]:
            body = c.post(f"{url}/say", json={"stage": "listen"}).json()
            return body["conversation"]["version"], body["phrase"]["id"], body["phrase"]["variant"]

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(say, range(50)))
        log = c.get(f"{url}/log").json()
    assert len(log) == 50
    assert sorted(v for v, _, _ in results) == list(range(2, 52))
    said = [(r["entry"], r["variant"]) for r in log]
    distinct = len(set(said))
    # Lines repeat only once every fitting line was said: each run of `distinct` turns
    # holds no line twice.
    for start in range(50 - distinct + 1):
        window = said[start : start + distinct]
        assert len(set(window)) == len(window)


@pytest.mark.parametrize(
    "options",
    [
        {"situation": "late-delivery", "locale": "da", "gloss": "en", "channel": "chat"},
        {"situation": "billing-error", "locale": ["ko", "en"], "register": "informal"},
        {"situation": "safety-threat", "locale": "zh-TW", "customer_name": "Mei"},
    ],
)
def test_the_say_answer_is_the_response_models_json(options: dict[str, object]) -> None:
    """A turn's body is exactly SayResponse's JSON, for glosses, registers, locale lists
    and safety mode alike."""
    conversations = Conversations(de.Phrasebook.default(), MemoryStore(), ttl=60)
    key = conversations.create("-", options).key
    for stage in ("calm", "listen", "restate", "apologise"):
        phrase, loaded = say_turn(conversations, key, "-", SayRequest(stage=stage), None)
        body, etag = say_answer(phrase, loaded)
        expected = SayResponse(phrase=phrase, conversation=view(loaded))
        assert body == expected.model_dump_json()
        assert etag == f'"{loaded.version}"'


# --- API keys ------------------------------------------------------------------------------


def test_keys_required_when_configured(keyed: TestClient) -> None:
    """With a key file, /v1 without a key or with a wrong key is 401; health stays open."""
    response = keyed.get("/v1/pick?stage=calm")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == TYPE_PREFIX + "unauthorized"
    assert (
        keyed.get("/v1/pick?stage=calm", headers=bearer("wrong-key-000000000")).status_code == 401
    )
    assert keyed.get("/v1/pick?stage=calm", headers=bearer(KEY_A)).status_code == 200
    assert keyed.get("/v1/pick?stage=calm", headers=bearer(KEY_B)).status_code == 200
    assert keyed.get("/healthz").status_code == 200


def test_keys_isolate_conversations(keyed: TestClient) -> None:
    """A conversation made with one key is a 404 for another key, for every operation."""
    url = keyed.post("/v1/conversations", json={}, headers=bearer(KEY_A)).headers["location"]
    assert keyed.get(url, headers=bearer(KEY_A)).status_code == 200
    assert keyed.get(url, headers=bearer(KEY_B)).status_code == 404
    assert keyed.post(f"{url}/say", json={}, headers=bearer(KEY_B)).status_code == 404
    assert keyed.get(f"{url}/log", headers=bearer(KEY_B)).status_code == 404
    assert keyed.delete(url, headers=bearer(KEY_B)).status_code == 404
    assert keyed.get(url).status_code == 401
    assert keyed.get(url, headers=bearer(KEY_A)).status_code == 200


def test_key_file_problems_are_reported(tmp_path: Path) -> None:
    """An empty key file or a short key is refused when the app is made."""
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no API keys"):
        create_app(Settings(store="memory://", api_key_file=str(empty)))
    short = tmp_path / "short.txt"
    short.write_text("abc\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":1: an API key has at least"):
        create_app(Settings(store="memory://", api_key_file=str(short)))


# --- the documentation ---------------------------------------------------------------------

SERVER_DOC = Path(__file__).resolve().parent.parent / "docs" / "server.md"


def test_every_route_is_documented(client: TestClient) -> None:
    """docs/server.md names every operation of the OpenAPI description."""
    text = SERVER_DOC.read_text(encoding="utf-8")
    paths = client.get("/openapi.json").json()["paths"]
    missing = []
    for path, operations in paths.items():
        shown = path.replace("/v1/conversations/{conversation_id}", "$C")
        missing += [
            f"{m.upper()} {shown}" for m in operations if f"{m.upper()} {shown}" not in text
        ]
    assert missing == []


def test_documented_pick_examples_are_what_the_server_says(client: TestClient) -> None:
    """The GET and POST pick examples of docs/server.md show the server's real answers."""
    text = SERVER_DOC.read_text(encoding="utf-8")
    danish = client.get(
        "/v1/pick",
        params={"stage": "apologise", "situation": "late-delivery", "seed": 3},
        headers={"Accept-Language": "da-DK,da;q=0.9"},
    ).json()
    money = client.post(
        "/v1/pick",
        json={
            "stage": "resolve",
            "situation": "billing-error",
            "locale": "ro",
            "seed": 1,
            "entry": "resolve.billing-error.voucher",
            "values": {"amount": {"amount": "12.50", "currency": "RON"}},
        },
    ).json()
    assert f'"text":"{danish["text"]}"' in text
    assert f'"text":"{money["text"]}"'.replace("\xa0", " ") in text.replace("\xa0", " ")


def test_page_is_served_with_a_strict_policy(tmp_path: Path) -> None:
    """An installed page is served at / and its files under /static/, scripts from self only."""
    (tmp_path / "index.html").write_text("<!doctype html><title>page</title>", encoding="utf-8")
    (tmp_path / "app.js").write_text("void 0;\n", encoding="utf-8")
    app = create_app(Settings(store="memory://", access_log=False), static=tmp_path)
    with TestClient(app) as c:
        page = c.get("/")
        assert page.status_code == 200 and page.text.startswith("<!doctype html>")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        script = c.get("/static/app.js")
        assert script.status_code == 200 and script.text == "void 0;\n"
        assert c.get("/static/missing.js").status_code == 404

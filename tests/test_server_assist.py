"""The routes the agent-assist page uses: labels, placeholders, coverage, listen and hear."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from deescalate.catalogue import PAGE_LABEL_KEYS
from deescalate.server import Settings, create_app


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client of an app with a memory store and no keys."""
    with TestClient(create_app(Settings(store="memory://", access_log=False))) as c:
        yield c


def test_labels_come_in_the_locale_with_the_source_filling_gaps(client: TestClient) -> None:
    """Danish has its page labels; Korean falls back to English ones and lists those keys."""
    da = client.get("/v1/labels", params={"locale": "da-DK"}).json()
    assert da["locale"] == "da" and da["labels"]["page-start"] == "Start henvendelse"
    assert "page-start" not in da["fallback"]
    ko = client.get("/v1/labels", headers={"Accept-Language": "ko"}).json()
    assert ko["labels"]["page-start"] == "Start contact" and "page-start" in ko["fallback"]
    assert ko["labels"]["calm"] != "Calm" and "calm" not in ko["fallback"]
    assert set(ko["labels"]) >= PAGE_LABEL_KEYS and all(ko["labels"].values())


def test_placeholders_name_the_values_a_stages_lines_take(client: TestClient) -> None:
    """Billing errors resolve with an amount (money); calm lines take none of it."""
    found = client.get(
        "/v1/placeholders", params={"stage": "resolve", "situation": ["billing-error", "general"]}
    ).json()
    types = {p["name"]: p["type"] for p in found}
    assert types["amount"] == "money"
    calm = client.get("/v1/placeholders", params={"stage": "calm"}).json()
    assert "amount" not in {p["name"] for p in calm}


def test_placeholders_for_an_unknown_situation_is_a_problem(client: TestClient) -> None:
    """An unknown situation is a 422 problem document naming it."""
    response = client.get("/v1/placeholders", params={"stage": "calm", "situation": "nope"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "nope" in response.json()["detail"]


def test_coverage_is_a_full_matrix(client: TestClient) -> None:
    """One cell per locale, situation and stage, with counts no larger than their totals."""
    matrix = client.get("/v1/coverage").json()
    cells = matrix["cells"]
    assert len(cells) == len(matrix["locales"]) * len(matrix["situations"]) * 7
    assert all(0 <= c["translated"] <= c["total"] for c in cells)
    en = [c for c in cells if c["locale"] == "en"]
    assert all(c["translated"] == c["total"] for c in en)
    assert set(matrix["errors"]) == set(matrix["locales"])


def test_listen_reports_the_words_that_signal(client: TestClient) -> None:
    """POST /v1/listen hears a Danish manager request, with the customer's own words."""
    heard = client.post(
        "/v1/listen", json={"text": "Jeg vil tale med din chef, nu!", "locale": "da"}
    ).json()
    assert heard["signals"][0]["signal"] == "wants-manager"
    assert heard["signals"][0]["words"] == "tale med din chef"


def test_listen_refuses_an_utterance_too_long(client: TestClient) -> None:
    """More than 10,000 characters is a 422 problem, before the library sees it."""
    response = client.post("/v1/listen", json={"text": "x" * 10_001})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_hear_switches_safety_mode_on_and_nothing_switches_it_off(client: TestClient) -> None:
    """A self-harm phrase heard in a conversation turns safety on; calming words don't undo it."""
    conv = client.post("/v1/conversations", json={"locale": "en", "channel": "phone"}).json()
    url = f"/v1/conversations/{conv['id']}/hear"
    first = client.post(url, json={"text": "I'm going to end it all"})
    assert first.status_code == 200 and first.headers["etag"]
    body = first.json()
    assert body["hearing"]["noted"] == ["self-harm"] and body["conversation"]["safety"]
    after = client.post(url, json={"text": "thanks, that's fine"}).json()
    assert after["conversation"]["safety"] is True


def test_hear_in_an_unknown_conversation_is_404(client: TestClient) -> None:
    """Hearing in a conversation that does not exist is a 404 problem."""
    response = client.post("/v1/conversations/nope/hear", json={"text": "hello"})
    assert response.status_code == 404
    assert response.json()["type"].endswith("conversation-not-found")

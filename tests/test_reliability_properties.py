"""Properties that keep the hostile-input classes fixed, whatever hypothesis comes up with.

* arbitrary JSON-like states, and genuine states edited by hand, give a
  conversation consistent with its log, or a StateError;
* arbitrary argument types for every public function and read-only CLI
  command give a DeescalateError or a result, never a bare exception;
* arbitrary bytes as a PO file or an overlay TOML file give a PoFileError or
  a CatalogueError, and change no file.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import deescalate as de
from deescalate.catalogue import shipped_catalogue
from deescalate.cli import main
from deescalate.conversation import _is_safety, _replay
from deescalate.po import export_po, import_po

BOOK = de.Phrasebook.default()
SHIPPED = Path(str(shipped_catalogue()))
SLOW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- states -------------------------------------------------------------------------------

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("say"), st.sampled_from([s.value for s in de.Stage][:-1])),
        st.tuples(st.just("note"), st.sampled_from([e.value for e in de.Event])),
        st.tuples(st.just("skip"), st.sampled_from([s.value for s in de.Stage])),
        st.tuples(st.just("tips"), st.sampled_from([s.value for s in de.Stage])),
    ),
    max_size=12,
)


def _clock() -> Callable[[], datetime]:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    ticks = iter(range(1_000_000))
    return lambda: start + timedelta(seconds=next(ticks))


def _play(topic: str, actions: list[tuple[str, str]]) -> de.Conversation:
    conv = BOOK.conversation(situation=topic, seed=3, clock=_clock())
    for kind, arg in actions:
        # A stage with nothing to say here is an error; the contact goes on.
        with contextlib.suppress(de.DeescalateError):
            getattr(conv, kind)(arg)
    return conv


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)

EDITS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "safety",
                "ladder_step",
                "ladder_said",
                "ended",
                "done",
                "implied",
                "seed",
                "warnings",
                "locale",
                "gloss",
                "topic",
                "values",
                "log",
            ]
        ),
        JSON,
    ),
    max_size=3,
)
RECORD_EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20),
        st.sampled_from(["situation", "ladder_step", "kind", "event", "entry", "stage", "words"]),
        JSON | st.sampled_from(["safety-threat", "abusive-language", "insult", "calm", 0, 3]),
    ),
    max_size=3,
)


def _assert_consistent(conv: de.Conversation) -> None:
    """The resumed conversation agrees with its log, and safety follows any trace of it."""
    _, contradictions = _replay(conv.book, conv.state)
    assert contradictions == []
    log = conv.state.log
    if any(r.event in (de.Event.SELF_HARM, de.Event.VIOLENCE) for r in log) or any(
        _is_safety(BOOK, r.situation) for r in log
    ):
        assert conv.safety
    try:
        phrase = conv.say(conv.next_stage() or "calm")
    except de.DeescalateError:
        return
    if conv.safety:
        assert _is_safety(BOOK, phrase.situation)


@SLOW
@given(
    topic=st.sampled_from(sorted(BOOK.neutral.situations)),
    actions=ACTIONS,
    edits=EDITS,
    record_edits=RECORD_EDITS,
    drop=st.lists(st.integers(min_value=0, max_value=20), max_size=2),
    repair=st.booleans(),
)
def test_edited_states_resume_consistently_or_are_refused(
    topic: str,
    actions: list[tuple[str, str]],
    edits: list[tuple[str, Any]],
    record_edits: list[tuple[int, str, Any]],
    drop: list[int],
    repair: bool,
) -> None:
    """A genuine state edited by hand: a conversation consistent with its log, or StateError."""
    data = json.loads(_play(topic, actions).state.model_dump_json())
    for name, value in edits:
        data[name] = value
    log = data.get("log")
    if isinstance(log, list):
        for index, name, value in record_edits:
            if index < len(log) and isinstance(log[index], dict):
                log[index][name] = value
        for index in sorted(set(drop), reverse=True):
            if index < len(log):
                del log[index]
    try:
        conv = BOOK.resume(data, repair=repair)
    except de.StateError:
        return
    _assert_consistent(conv)


@SLOW
@given(state=JSON | st.text(max_size=200) | st.binary(max_size=200))
def test_arbitrary_json_like_states_are_state_errors(state: object) -> None:
    """Anything JSON-like (or any text or bytes) as a state: a StateError, or consistent."""
    try:
        conv = BOOK.resume(state)  # type: ignore[arg-type]
    except de.StateError:
        return
    _assert_consistent(conv)


def test_genuine_states_always_resume_as_they_were() -> None:
    """Sanity for the property above: an unedited state resumes with no contradiction."""
    conv = _play("late-delivery", [("note", "insult"), ("say", "calm"), ("note", "violence")])
    resumed = BOOK.resume(conv.state.model_dump_json())
    assert resumed.state == conv.state
    _assert_consistent(resumed)


# --- argument types ------------------------------------------------------------------------

ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.binary(max_size=10),
    st.lists(st.one_of(st.text(max_size=8), st.integers()), max_size=3),
    st.tuples(st.text(max_size=8)),
    st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), st.text(max_size=8), max_size=2),
    st.sampled_from(["calm", "da", "general", "formal", "chat", "summary", "close.goodbye"]),
)

PICK_OPTIONS = (
    "situation",
    "locale",
    "register",
    "channel",
    "values",
    "seed",
    "gloss",
    "strict",
    "entry",
    "variant",
)
OPTIONS: dict[str, tuple[str, ...]] = {
    "pick": PICK_OPTIONS,
    "text": tuple(o for o in PICK_OPTIONS if o != "gloss"),
    "options": ("situation", "locale", "register", "channel", "values", "strict", "entry"),
    "tips": ("situation", "locale", "channel", "gloss"),
    "playbook": ("locale", "register", "channel", "values", "seed", "gloss"),
    "conversation": (
        "situation",
        "locale",
        "register",
        "channel",
        "gloss",
        "customer_name",
        "values",
        "warnings",
        "seed",
    ),
}


@SLOW
@given(
    function=st.sampled_from(sorted(OPTIONS)),
    first=ANYTHING,
    chosen=st.data(),
)
def test_arbitrary_argument_types_are_deescalate_errors(
    function: str, first: object, chosen: st.DataObject
) -> None:
    """Every public function, every argument of any type: a result or a DeescalateError."""
    names = chosen.draw(st.lists(st.sampled_from(OPTIONS[function]), unique=True, max_size=4))
    options = {name: chosen.draw(ANYTHING, label=name) for name in names}
    method = getattr(BOOK, function)
    try:
        if function == "conversation":
            method(**options)
        else:
            method(first, **options)
    except de.DeescalateError:
        pass


@SLOW
@given(
    action=st.sampled_from(["say", "tips", "skip", "note"]),
    first=ANYTHING,
    values=ANYTHING,
    words=ANYTHING,
)
def test_arbitrary_arguments_to_a_conversation_are_deescalate_errors(
    action: str, first: object, values: object, words: object
) -> None:
    """say, tips, skip and note with anything: a result or a DeescalateError; state unchanged."""
    conv = BOOK.conversation(seed=2)
    options: dict[str, object] = {}
    if action == "say":
        options["values"] = values
    if action == "note":
        options["words"] = words
    before = conv.state
    try:
        getattr(conv, action)(first, **options)
    except de.DeescalateError:
        assert conv.state == before


COMMANDS = ["pick", "text", "tips", "playbook", "situations", "locales", "simulate", "listen"]
TOKENS = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "--locale",
            "--situation",
            "--value",
            "--register",
            "--channel",
            "--seed",
            "--json",
            "--gloss",
            "--catalogue",
            "--explain",
            "calm",
            "da",
            "x=1",
            "summary=a",
            "--strict",
        ]
    ),
)


@SLOW
@given(command=st.sampled_from(COMMANDS), tokens=st.lists(TOKENS, max_size=6))
def test_arbitrary_command_lines_exit_cleanly(
    command: str, tokens: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A read-only command with arbitrary arguments exits 0, 1 or 2; nothing escapes main()."""
    err = io.StringIO()
    code: object = "not exited"
    with contextlib.redirect_stderr(err):
        try:
            status = main([command, *tokens], out=io.StringIO())
        except SystemExit as exit_:  # --help and --version exit, as argparse does
            code = exit_.code
    if code != "not exited":
        assert code in (0, None)
        return
    assert status in (0, 1, 2)
    if status == 2:
        assert err.getvalue().startswith("deescalate: error: ")
        assert err.getvalue().count("\n") == 1


# --- bytes as files ------------------------------------------------------------------------


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A writable catalogue of entries.toml, en.toml and da.toml, shared by the examples."""
    target = tmp_path_factory.mktemp("po") / "locales"
    target.mkdir()
    for name in ("entries.toml", "en.toml", "da.toml"):
        shutil.copy(SHIPPED / name, target / name)
    return target


@pytest.fixture(scope="module")
def exported_po(catalogue: Path) -> bytes:
    """The Danish PO export of that catalogue."""
    return export_po(de.Phrasebook.from_directory(catalogue), "da")


def _mutated(base: bytes, data: st.DataObject) -> bytes:
    """``base`` with a few bytes replaced, inserted or cut, or a slice of it."""
    edits = data.draw(
        st.lists(
            st.tuples(st.integers(0, len(base)), st.binary(max_size=6), st.integers(0, 40)),
            max_size=4,
        )
    )
    result = base
    for at, insert, cut in edits:
        result = result[:at] + insert + result[at + cut :]
    return result


@SLOW
@given(raw=st.binary(max_size=400) | st.text(max_size=400).map(str.encode), data=st.data())
def test_arbitrary_bytes_as_a_po_file_change_nothing(
    raw: bytes, data: st.DataObject, catalogue: Path, exported_po: bytes, tmp_path_factory: Any
) -> None:
    """Random bytes, or an export with random edits, as a PO file: a PoFileError, no change."""
    if data.draw(st.booleans(), label="mutate the export"):
        raw = _mutated(exported_po, data)
    path = tmp_path_factory.mktemp("in") / "da.po"
    path.write_bytes(raw)
    before = _digest(catalogue)
    try:
        result = import_po(path, catalogue, dry_run=True)
    except (de.PoFileError, de.CatalogueError):
        pass
    else:
        assert not result.written
    assert _digest(catalogue) == before


OVERLAY_NAMES = st.sampled_from(["entries.toml", "en.toml", "da.toml", "sv.toml"])


@SLOW
@given(
    raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode),
    name=OVERLAY_NAMES,
    data=st.data(),
)
def test_arbitrary_bytes_as_an_overlay_are_catalogue_errors(
    raw: bytes, name: str, data: st.DataObject, tmp_path_factory: Any
) -> None:
    """Random bytes, or a shipped file with random edits, as an overlay: CatalogueError or a
    book; the shipped catalogue is unchanged and every pick still works or fails cleanly."""
    if data.draw(st.booleans(), label="mutate a shipped file") and name != "sv.toml":
        raw = _mutated((SHIPPED / name).read_bytes()[:3000], data)
    directory = tmp_path_factory.mktemp("overlay")
    (directory / name).write_bytes(raw)
    before = _digest(SHIPPED)
    try:
        book = de.Phrasebook.load(directory)
    except de.CatalogueError:
        pass
    else:
        for stage in de.Stage:
            with contextlib.suppress(de.DeescalateError):
                book.pick(stage, locale="da")
    assert _digest(SHIPPED) == before

"""The ``deescalate`` command: the only module that prints.

Human-readable output by default, ``--json`` for programs. Exit codes: 0 ok,
1 a check failed, 2 a usage error (bad arguments, unknown situation, bad
locale tag, a missing value, ...). Errors are one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from . import __version__
from .conversation import Conversation, Event
from .errors import (
    CatalogueError,
    DeescalateError,
    NoContentError,
    UnknownEntryError,
    ValueTooLongError,
)
from .i18n import display_name
from .limits import MAX_NOTE_LENGTH
from .models import Channel, Phrase, Playbook, Register, Stage, Tip
from .picker import Phrasebook

__all__ = ["main"]

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2

Handler = Callable[[argparse.Namespace, TextIO], int]


class _UsageError(Exception):
    """A bad command line, reported as one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own exits would print usage twice
        raise _UsageError(message)


# --- helpers shared by the commands ---------------------------------------------------


def _book(args: argparse.Namespace) -> Phrasebook:
    """The phrasebook the command works on (shipped catalogues, plus overlays)."""
    paths = getattr(args, "catalogue", None) or []
    if not paths:
        return Phrasebook.default()
    return Phrasebook.load(*(Path(p) for p in paths))


def _values(pairs: Sequence[str] | None) -> dict[str, object]:
    """``name=value`` pairs; a name given twice becomes a list (for list placeholders)."""
    values: dict[str, object] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise _UsageError(f"--value takes name=value, got {pair!r}")
        if name in values:
            current = values[name]
            values[name] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            values[name] = value
    return values


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def _emit_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _explain(result: Phrase | Tip | Playbook, out: TextIO) -> None:
    for step in result.fallback:
        out.write(
            f"  (fallback: {step.kind.value} {step.requested} → {step.used}: {step.reason})\n"
        )
    for warning in result.warnings:
        out.write(f"  (warning: {warning})\n")


def _add_locale_options(
    p: argparse.ArgumentParser, *, register: bool = True, situation: bool = True
) -> None:
    if situation:
        p.add_argument("--situation", default="general", help="situation id (default: general)")
    p.add_argument(
        "--locale",
        default="en",
        help="locale tag, comma-separated list or Accept-Language value (default: en)",
    )
    if register:
        p.add_argument("--register", choices=[r.value for r in Register], help="form of address")
    p.add_argument("--channel", choices=[c.value for c in Channel], help="phone, chat or email")
    p.add_argument("--gloss", metavar="LOCALE", help="also show the text in this locale")
    p.add_argument("--json", action="store_true", help="print JSON")


def _locale_arg(value: str) -> str | list[str]:
    # "da,en" is a list of tags; "da-DK,da;q=0.9" is an Accept-Language header.
    if "," in value and ";" not in value:
        return [part.strip() for part in value.split(",")]
    return value


# --- commands -----------------------------------------------------------------------


def _cmd_pick(args: argparse.Namespace, out: TextIO) -> int:
    phrase = _book(args).pick(
        args.stage,
        situation=args.situation,
        locale=_locale_arg(args.locale),
        register=args.register,
        channel=args.channel,
        values=_values(args.value),
        seed=args.seed,
        gloss=args.gloss,
        strict=args.strict,
        entry=args.entry,
    )
    if args.json:
        _emit_json(_dump(phrase), out)
        return EXIT_OK
    out.write(phrase.text + "\n")
    if phrase.gloss is not None:
        out.write(f"  [{phrase.gloss.locale}] {phrase.gloss.text}\n")
    flags = f", {', '.join(f.value for f in phrase.flags)}" if phrase.flags else ""
    out.write(f"  ({phrase.id}, {phrase.locale}, {phrase.register.value}{flags})\n")
    _explain(phrase, out)
    return EXIT_OK


def _cmd_tips(args: argparse.Namespace, out: TextIO) -> int:
    tips = _book(args).tips(
        args.stage,
        situation=args.situation,
        locale=_locale_arg(args.locale),
        channel=args.channel,
        gloss=args.gloss,
    )
    if args.json:
        _emit_json([_dump(t) for t in tips], out)
        return EXIT_OK
    for tip in tips:
        out.write(f"- {tip.text}\n")
        if tip.gloss is not None:
            out.write(f"  [{tip.gloss.locale}] {tip.gloss.text}\n")
    if tips:
        _explain(tips[0], out)
    return EXIT_OK


def _cmd_listen(args: argparse.Namespace, out: TextIO) -> int:
    heard = _book(args).listen(args.text, locale=_locale_arg(args.locale))
    if args.json:
        _emit_json(_dump(heard), out)
        return EXIT_OK
    if not heard.signals:
        out.write("nothing heard\n")
    for signal in heard.signals:
        suggests = f" → {signal.situation}" if signal.situation else ""
        out.write(
            f"{signal.signal.value} ({signal.confidence.value}): «{signal.words}»"
            f"{suggests}, event {signal.event.value}\n"
        )
    for warning in heard.warnings:
        out.write(f"  (warning: {warning})\n")
    return EXIT_OK


def _cmd_detect(args: argparse.Namespace, out: TextIO) -> int:
    from .detect import detect_locale

    detected = detect_locale(args.text, among=_book(args).locales)
    if args.json:
        _emit_json(_dump(detected), out)
        return EXIT_OK
    out.write(f"{detected.locale or 'unsure'}: {detected.reason}\n")
    return EXIT_OK


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cmd_playbook(args: argparse.Namespace, out: TextIO) -> int:
    book = _book(args)
    pb = book.playbook(
        args.situation,
        locale=_locale_arg(args.locale),
        register=args.register,
        channel=args.channel,
        values=_values(args.value),
        seed=args.seed,
        gloss=args.gloss,
    )
    if args.json:
        _emit_json(_dump(pb), out)
        return EXIT_OK
    data = book.locale_data(pb.locale)
    say, advice = data.labels.get("phrases", "Say"), data.labels.get("tips", "Tips")
    out.write(f"{pb.title}\n{'=' * _columns(pb.title)}\n")
    for number, stage in enumerate(pb.stages, start=1):
        out.write(f"\n{number}. {stage.label}\n")
        if stage.phrases:
            out.write(f"   {say}:\n")
            for phrase in stage.phrases:
                out.write(f"   • {phrase.text}\n")
                if phrase.gloss is not None:
                    out.write(f"     [{phrase.gloss.locale}] {phrase.gloss.text}\n")
        if stage.tips:
            out.write(f"   {advice}:\n")
            for tip in stage.tips:
                out.write(f"   - {tip.text}\n")
                if tip.gloss is not None:
                    out.write(f"     [{tip.gloss.locale}] {tip.gloss.text}\n")
    return EXIT_OK


def _cmd_situations(args: argparse.Namespace, out: TextIO) -> int:
    situations = _book(args).situations()
    if args.json:
        _emit_json([_dump(s) for s in situations], out)
        return EXIT_OK
    width = max(len(s.id) for s in situations)
    for s in situations:
        parent = f" (refines {s.parent})" if s.parent else ""
        out.write(f"{s.id:<{width}}  {s.description}{parent}\n")
    return EXIT_OK


def _cmd_locales(args: argparse.Namespace, out: TextIO) -> int:
    from .checks import check

    book = _book(args)
    report = check(book)
    coverage = {c.locale: c for c in report.coverage}
    rows: list[dict[str, Any]] = []
    for locale_id in book.locales:
        data = book.locale_data(locale_id)
        rows.append(
            {
                "locale": locale_id,
                "name": display_name(locale_id, "en"),
                "native_name": display_name(locale_id),
                "registers": [r.value for r in data.registers],
                "default_register": data.default_register.value,
                "usage": data.usage,
                "coverage": round(coverage[locale_id].percent, 1),
            }
        )
    if args.json:
        _emit_json(rows, out)
        return EXIT_OK
    for row in rows:
        out.write(
            f"{row['locale']:<8} {row['name']} / {row['native_name']}: "
            f"default {row['default_register']} "
            f"(registers: {', '.join(row['registers'])}), {row['coverage']:.1f}% translated\n"
        )
    return EXIT_OK


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from .checks import Problem, Report, Severity, check

    try:
        book = _book(args)
    except CatalogueError as err:
        # A broken overlay is a failed check, reported like any other problem.
        problem = Problem(
            code="load",
            severity=Severity.ERROR,
            locale="*",
            message=err.problem,
            entry_id=err.entry_id,
            path=err.path,
            line=err.line,
        )
        report = Report(problems=(problem,), coverage=())
    else:
        report = check(book, tuple(args.locale) if args.locale else None)
    if args.json:
        _emit_json(_dump(report) | {"ok": report.ok}, out)
        return EXIT_OK if report.ok else EXIT_CHECK_FAILED
    for problem in report.problems:
        out.write(f"{problem}\n")
    for cov in report.coverage:
        out.write(f"{cov.locale}: {cov.percent:.1f}% ({cov.translated}/{cov.total} entries)\n")
    errors = sum(1 for p in report.problems if p.severity.value == "error")
    warnings = len(report.problems) - errors
    out.write(f"{'ok' if report.ok else 'FAILED'}: {errors} errors, {warnings} warnings\n")
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


_OVERLAY_ENTRIES = """\
# A company overlay for deescalate: entries.toml (locale-neutral metadata).
#
# Load it on top of the shipped catalogues:
#     deescalate --catalogue {directory} pick close
#     Phrasebook.load(Path("{directory}"))
# and check it with `deescalate --catalogue {directory} check --locale en`.
#
# Every example below is commented out, so this overlay changes nothing yet:
# delete the '#' at the start of a line to use it. See docs/overlays.md.

# Default placeholder values, used wherever a caller passes none. The shipped
# entry close.goodbye has an optional {{company}}: once this is set, its
# "Thank you for contacting {{company}}" variant joins the rotation.
#[values]
#company = "Acme"

# A new situation. It may refine a shipped one (its parent): at every stage
# it offers its own lines and then the parent's.
#[situations.warranty-claim]
#parent = "faulty-product"
#description = "The customer claims under the warranty."

# A stage rule: here its own resolve lines replace the parent's ("extend" is
# the default); exclude = [...] leaves out named parent lines instead.
#[situations.warranty-claim.stages.resolve]
#phrases = "replace"

# A new entry, with the same metadata as a shipped one (kind, stage,
# situations, channels, flags, placeholders, notes). Its id must be new: an
# overlay cannot change a shipped entry's metadata. A company part in the id
# keeps it apart from ids the package may ship later.
#[entries."resolve.acme.warranty-repair"]
#kind = "phrase"
#stage = "resolve"
#situations = ["warranty-claim"]
#notes = "Offer the free warranty repair."
#placeholders.company = {{ type = "text", description = "The company's name." }}
"""

_OVERLAY_EN = """\
# A company overlay for deescalate: English texts (en.toml).
#
# Write only what you change. [locale], [checks], [labels], [situations] and
# [glossary] are optional and merged with the shipped en.toml. Other locales
# work the same way (da.toml, ko.toml, ...); a locale the package does not
# ship needs a full file, with [locale] and [checks].

# The name of the new situation (a playbook's title).
#[situations]
#warranty-claim = "Warranty claim"

# Texts for the new entry.
#[entries."resolve.acme.warranty-repair"]
#text = ["Your {{company}} warranty covers this, so I'll book the repair for you now."]

# Texts for a shipped entry replace its shipped variants (mode = "replace",
# the default); mode = "add" keeps them and adds yours.
#[entries."close.goodbye"]
#mode = "add"
#text = ["Thanks for choosing {{company}}. Take care."]

# Phrases your agents must never use, added to the shipped never-say list.
#[checks]
#never_say = ["no worries"]
"""


def _cmd_init_overlay(args: argparse.Namespace, out: TextIO) -> int:
    directory = Path(args.directory)
    files = {"entries.toml": _OVERLAY_ENTRIES, "en.toml": _OVERLAY_EN}
    if directory.exists() and not directory.is_dir():
        raise _UsageError(f"{directory} exists and is not a directory")
    existing = [name for name in files if (directory / name).exists()]
    if existing:
        raise _UsageError(
            f"{', '.join(str(directory / n) for n in existing)} already exist"
            f"{'s' if len(existing) == 1 else ''}; init-overlay never overwrites a file"
        )
    directory.mkdir(parents=True, exist_ok=True)
    for name, template in files.items():
        # "x" refuses a file that appeared since the check above.
        with (directory / name).open("x", encoding="utf-8") as handle:
            handle.write(template.format(directory=directory))
        out.write(f"wrote {directory / name}\n")
    out.write(f"next: edit them, then run `deescalate --catalogue {directory} check --locale en`\n")
    return EXIT_OK


# --- conversations: simulate and coach ------------------------------------------------

_COACH_HELP = """\
Type one thing per line:
  a stage       calm, listen, restate, apologise, resolve, close, cool-down
  an event      insult, calmed-down, asked-for-manager, threatened-to-sue, cried,
                self-harm, violence (add the customer's exact words after a colon:
                "insult: you're useless")
  next          the recommended next line (an empty line does the same)
  choices [STAGE]
                the lines to choose from (default: the recommended stage), one
                for each entry, with their ids
  an entry id   say a line of that entry ("resolve.wants-manager.busy"): where
                only you know which line is true
  tips [STAGE]  advice for the agent (default: the recommended stage)
  state         the saved state, as JSON;  log  the log, as JSON
  help          this text;  quit  stop (end of input stops too)
A stage name wins over an event alias: "calm" is the stage, "calmed-down" the event.
"""


def _conversation(args: argparse.Namespace, situation: str) -> Conversation:
    """A conversation from the options simulate and coach share."""
    contact: dict[str, str] = {}
    for name, value in _values(args.value).items():
        if not isinstance(value, str):
            raise _UsageError(f"--value {name}= is given twice; a contact value is one text")
        contact[name] = value
    return _book(args).conversation(
        situation=situation,
        locale=_locale_arg(args.locale),
        register=args.register,
        channel=args.channel,
        gloss=args.gloss,
        customer_name=args.name,
        values=contact,
        warnings=args.warnings,
        seed=args.seed,
    )


def _write_phrase(number: int, phrase: Phrase, out: TextIO) -> None:
    flags = f", {', '.join(f.value for f in phrase.flags)}" if phrase.flags else ""
    out.write(f"[{number}] {phrase.stage.value} · {phrase.id} ({phrase.locale}{flags})\n")
    out.write(f"    {phrase.text}\n")
    if phrase.gloss is not None:
        out.write(f"    [{phrase.gloss.locale}] {phrase.gloss.text}\n")


def _write_tips(tips: Sequence[Tip], out: TextIO, *, label: str = "tip:") -> None:
    for tip in tips:
        out.write(f"    {label} {tip.text}\n")
        if tip.gloss is not None:
            out.write(f"      [{tip.gloss.locale}] {tip.gloss.text}\n")


def _write_event(conv: Conversation, out: TextIO) -> None:
    record = conv.log[-1]
    on_ladder = conv.ladder_step and not conv.safety  # safety mode suspends the ladder
    ladder = f", ladder step {conv.ladder_step} of {len(conv.ladder)}" if on_ladder else ""
    safety = " (safety mode)" if conv.safety else ""
    words = f' — "{record.words}"' if record.words else ""
    event = record.event.value if record.event is not None else "?"
    out.write(f"(event) {event}{words} → {conv.situation}{ladder}{safety}\n")


class _Turns:
    """Says the recommended lines of a conversation and prints them, human or JSON."""

    def __init__(self, conv: Conversation, out: TextIO, *, json_lines: bool) -> None:
        self.conv = conv
        self.out = out
        self.json_lines = json_lines
        self.said = 0

    def error(self, err: DeescalateError) -> None:
        """Report a mistake in one turn; the contact goes on."""
        if self.json_lines:
            self.emit("error", {"message": str(err)})
        else:
            self.out.write(f"error: {err}\n")

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if self.json_lines:
            self.out.write(json.dumps({"type": kind, **data}, ensure_ascii=False) + "\n")

    def own_tips(self, stage: Stage) -> None:
        """The tips of the situation now in play (after it changed, or at the ladder's end)."""
        situation = self.conv.situation
        tips = [t for t in self.conv.tips(stage) if t.situation == situation]
        if self.json_lines:
            self.emit("tips", {"stage": stage.value, "tips": [_dump(t) for t in tips]})
        else:
            _write_tips(tips, self.out)

    def say(self, stage: Stage) -> bool:
        """Say one line for ``stage`` (tips for the cool-down); False if there was none."""
        if stage is Stage.COOL_DOWN:
            tips = self.conv.tips(stage)
            if self.json_lines:
                self.emit("tips", {"stage": stage.value, "tips": [_dump(t) for t in tips]})
            else:
                self.out.write(f"[cool-down] {len(tips)} tips for you, the agent\n")
                _write_tips(tips, self.out, label="-")
            return True
        was_ended = self.conv.ended
        try:
            phrase = self.conv.say(stage)
        except DeescalateError as err:
            self.conv.skip(stage)
            if self.json_lines:
                self.emit("skip", {"stage": stage.value, "reason": str(err)})
            else:
                self.out.write(f"[-] {stage.value}: no line ({err})\n")
            return False
        self.said += 1
        if self.json_lines:
            self.emit("phrase", _dump(phrase))
        else:
            _write_phrase(self.said, phrase, self.out)
        if self.conv.ended and not was_ended:
            self.own_tips(stage)  # the ladder's end: end per policy, document the words
        return True

    def chosen(self, entry: str) -> None:
        """Say a line of ``entry`` at its own stage (an unknown id is refused)."""
        found = self.conv.book.neutral.entries.get(entry)
        if found is None:
            raise UnknownEntryError(entry)
        phrase = self.conv.say(found.stage, entry=entry)
        self.said += 1
        if self.json_lines:
            self.emit("phrase", _dump(phrase))
        else:
            _write_phrase(self.said, phrase, self.out)

    def choices(self, stage: Stage) -> None:
        """The lines the conversation chooses from at ``stage`` now, one for each entry."""
        phrases = self.conv.choices(stage)
        if self.json_lines:
            self.emit("choices", {"stage": stage.value, "phrases": [_dump(p) for p in phrases]})
            return
        self.out.write(f"[{stage.value}] {len(phrases)} to choose from (type an id to say it)\n")
        for phrase in phrases:
            self.out.write(f"  {phrase.id}: {phrase.text}\n")

    def advance(self) -> bool:
        """Say the recommended next line; False when the contact is over."""
        stage = self.conv.next_stage()
        if stage is None:
            return False
        self.say(stage)
        return True

    def note(self, event: Event, words: str | None = None) -> None:
        before = self.conv.situation
        self.conv.note(event, words=words)
        record = self.conv.log[-1]
        if self.json_lines:
            self.emit(
                "event",
                {
                    "event": event.value,
                    "words": record.words,
                    "situation": self.conv.situation,
                    "ladder_step": self.conv.ladder_step,
                    "safety": self.conv.safety,
                },
            )
        else:
            _write_event(self.conv, self.out)
        stage = self.conv.next_stage()
        # Escalating into a situation brings its own advice; stepping back down doesn't.
        situation = self.conv.situation
        if situation not in (before, self.conv.topic) and stage is not None:
            self.own_tips(stage)


def _cmd_simulate(args: argparse.Namespace, out: TextIO) -> int:
    events = [Event.coerce(e) for e in args.events.split(",") if e.strip()] if args.events else []
    import io

    conv = _conversation(args, args.situation)
    # Human output goes turn by turn; --json prints the final state (resumable) at the end.
    turns = _Turns(conv, io.StringIO() if args.json else out, json_lines=False)
    if not args.json:
        state = conv.state
        out.write(
            f"{state.topic} · locale {_locale_text(state.locale)} · seed {state.seed} · "
            f"{state.warnings} warnings before ending\n"
        )
    turns.advance()
    for event in events:
        turns.note(event)
        turns.advance()
    # Play the contact out; a bound keeps a catalogue mistake from looping for ever.
    for _ in range(4 * len(Stage)):
        if not turns.advance():
            break
    if args.json:
        _emit_json(_dump(conv.state), out)
    return EXIT_OK


def _cmd_coach(args: argparse.Namespace, out: TextIO) -> int:
    if sys.stdin is None or sys.stdin.closed:
        raise _UsageError("standard input is closed: coach reads one line per turn from it")
    conv = _conversation(args, args.situation)
    turns = _Turns(conv, out, json_lines=args.json)
    interactive = sys.stdin.isatty()
    if not args.json:
        out.write(
            f"Coaching a {conv.topic} contact in {_locale_text(conv.state.locale)}. "
            "Type a stage, an event, 'next', 'tips', 'help' or 'quit'.\n"
        )
    stage_names = {s.value for s in Stage}
    while True:
        hint = conv.next_stage()
        if interactive and not args.json:
            out.write(f"({'next: ' + hint.value if hint else 'the contact is over'}) > ")
        out.flush()
        line = _read_line(sys.stdin)
        if line is None:
            break
        if isinstance(line, int):
            turns.error(ValueTooLongError("the line", line, _MAX_LINE))
            continue
        command, _, rest = line.strip().partition(":")
        command = command.strip().lower()
        words = rest.strip() or None
        try:
            if command in ("quit", "exit", "q"):
                break
            if command in ("help", "?"):
                out.write(_COACH_HELP)
            elif command in ("", "next"):
                if not turns.advance():
                    turns.emit("over", {})
                    if not args.json:
                        out.write("(the contact is over: nothing more to say)\n")
            elif command == "state":
                _emit_json(_dump(conv.state), out)
            elif command == "log":
                out.write(conv.log_json() + "\n")
            elif command.split()[0] == "tips":
                parts = command.split()
                stage = Stage.coerce(parts[1]) if len(parts) > 1 else hint or Stage.COOL_DOWN
                tips = conv.tips(stage)
                if args.json:
                    turns.emit("tips", {"stage": stage.value, "tips": [_dump(t) for t in tips]})
                else:
                    _write_tips(tips, out, label="-")
            elif command.split()[0] == "choices":
                parts = command.split()
                asked = Stage.coerce(parts[1]) if len(parts) > 1 else hint
                if asked is None:
                    raise NoContentError("the contact is over: there is nothing to choose from")
                turns.choices(asked)
            elif command in stage_names:
                turns.say(Stage(command))
            elif "." in command:
                turns.chosen(command)
            else:
                turns.note(Event.coerce(command), words)
                turns.advance()
        except DeescalateError as err:
            turns.error(err)
    if interactive and not args.json:
        out.write("\n")
    return EXIT_OK


_MAX_LINE = MAX_NOTE_LENGTH + 100
"""The longest line coach reads: a command and the customer's words."""


def _read_line(stream: TextIO) -> str | int | None:
    """One line of input (None at its end), never more than ``_MAX_LINE`` characters.

    A longer line is read to its end in bounded pieces, and its length is
    returned instead, for the coach to report.
    """
    line = stream.readline(_MAX_LINE)
    if not line:
        return None
    if len(line) < _MAX_LINE or line.endswith("\n"):
        return line
    length = len(line)
    while True:  # the rest of an overlong line, piece by piece
        rest = stream.readline(_MAX_LINE)
        length += len(rest.rstrip("\n"))
        if not rest or rest.endswith("\n"):
            return length


def _locale_text(locale: str | Sequence[str]) -> str:
    return locale if isinstance(locale, str) else ",".join(locale)


# --- po: the translators' PO workflow --------------------------------------------------


def _po_directory(args: argparse.Namespace, *, writing: bool = False) -> Path:
    """The catalogue directory ``po`` works on: ``--dir``, else the shipped one on disk.

    Writing (``po import``, ``po stamp``) into the shipped catalogues without
    ``--dir`` is allowed only in a source checkout: never into an installed package.
    """
    if args.dir:
        return Path(args.dir)
    from .catalogue import shipped_catalogue

    shipped = shipped_catalogue()
    if not isinstance(shipped, Path) or not shipped.is_dir():
        raise _UsageError("the shipped catalogues are not a directory here: pass --dir DIR")
    if writing and not in_source_checkout(shipped):
        raise _UsageError(
            f"the shipped catalogues in {shipped} belong to an installed package, which is "
            "never written to; pass --dir DIR (a copy, or a source checkout's "
            "src/deescalate/locales)"
        )
    return shipped


def in_source_checkout(locales: Path) -> bool:
    """Whether ``locales`` is ``src/deescalate/locales`` of a source checkout (a pyproject.toml).

    >>> in_source_checkout(Path("/usr/lib/python3/site-packages/deescalate/locales"))
    False
    """
    package = locales.parent
    src = package.parent
    return (
        locales.name == "locales"
        and package.name == "deescalate"
        and src.name == "src"
        and (src.parent / "pyproject.toml").is_file()
    )


def _po_date() -> Any:
    """The PO header date: $SOURCE_DATE_EPOCH when set (reproducible builds), else fixed."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return None
    try:
        return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        raise _UsageError(f"SOURCE_DATE_EPOCH is not a Unix time: {epoch!r}") from None


def _cmd_po_export(args: argparse.Namespace, out: TextIO) -> int:
    from .i18n import parse_tag
    from .po import write_exports

    directory = _po_directory(args)
    book = Phrasebook.from_directory(directory)
    previous = Path(args.previous_source) if args.previous_source else None
    po_path, pot_path = write_exports(
        book,
        parse_tag(args.locale),
        Path(args.out),
        previous_source=previous,
        date=_po_date(),
    )
    out.write(f"wrote {po_path}\nwrote {pot_path}\n")
    return EXIT_OK


def _cmd_po_import(args: argparse.Namespace, out: TextIO) -> int:
    from .errors import PoFileError, PoFileUnreadableError
    from .po import import_po

    try:
        result = import_po(Path(args.file), _po_directory(args, writing=True), dry_run=args.dry_run)
    except PoFileUnreadableError:
        raise  # not a PO file at all: a usage error, one line
    except PoFileError as err:
        sys.stderr.write(f"deescalate: error: {err}\nnothing was changed\n")
        return EXIT_CHECK_FAILED
    for change in result.changes:
        out.write(f"{change}\n")
    if result.fuzzy:
        out.write(f"skipped {len(result.fuzzy)} fuzzy message(s): review them, then clear fuzzy\n")
    for entry_id in result.outdated:
        out.write(f"note: {entry_id} was translated from an older English text (still stale)\n")
    if args.dry_run:
        verb = "would change" if result.changes else "would not change"
    else:
        verb = "changed" if result.written else "did not change"
    out.write(f"{verb} {result.path} ({len(result.changes)} change(s))\n")
    return EXIT_OK


def _cmd_po_stamp(args: argparse.Namespace, out: TextIO) -> int:
    from .i18n import parse_tag
    from .po import stamp

    stamped = stamp(
        _po_directory(args, writing=True),
        parse_tag(args.locale),
        entries=args.entry,
        dry_run=args.dry_run,
    )
    for entry_id in stamped:
        out.write(f"{'would stamp' if args.dry_run else 'stamped'} {entry_id}\n")
    out.write(f"{len(stamped)} entr{'y' if len(stamped) == 1 else 'ies'}\n")
    return EXIT_OK


def _add_po_commands(commands: Any) -> None:
    """``deescalate po export|import|stamp``."""
    po = commands.add_parser("po", help="export and import gettext PO files for translators")
    po_commands = po.add_subparsers(dest="po_command", metavar="ACTION", parser_class=_Parser)
    po_commands.required = True
    dir_help = "catalogue directory (default: the shipped catalogues, in a source checkout)"

    p = po_commands.add_parser("export", help="write LOCALE.po and deescalate.pot")
    p.add_argument("--locale", required=True, help="the locale to export, e.g. da")
    p.add_argument("--out", default=".", metavar="DIR", help="where to write (default: .)")
    p.add_argument("--dir", metavar="DIR", help=dir_help)
    p.add_argument(
        "--previous-source",
        metavar="FILE",
        help="an earlier en.toml: stale messages get it as their previous msgid (#|)",
    )
    p.set_defaults(handler=_cmd_po_export)

    p = po_commands.add_parser("import", help="write a translated PO file back into its locale")
    p.add_argument(
        "file", metavar="FILE", help="the PO file (its Language header names the locale)"
    )
    p.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    p.add_argument("--dir", metavar="DIR", help=dir_help)
    p.set_defaults(handler=_cmd_po_import)

    p = po_commands.add_parser(
        "stamp", help="record that a locale's entries are translated from the current English"
    )
    p.add_argument("--locale", required=True, help="the locale, e.g. da")
    p.add_argument(
        "--entry",
        action="append",
        metavar="ID",
        help="a reviewed entry (repeatable); default: every entry with no record yet",
    )
    p.add_argument("--dry-run", action="store_true", help="show what would be stamped")
    p.add_argument("--dir", metavar="DIR", help=dir_help)
    p.set_defaults(handler=_cmd_po_stamp)


def _cmd_serve(args: argparse.Namespace, out: TextIO) -> int:
    from .server.run import serve

    return serve(args)


# --- the parser -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``deescalate`` command."""
    parser = _Parser(
        prog="deescalate",
        description="What to say to an upset customer, in their own language.",
    )
    parser.add_argument("--version", action="version", version=f"deescalate {__version__}")
    parser.add_argument(
        "--catalogue",
        action="append",
        metavar="DIR",
        help="a company catalogue directory to load on top of the shipped one (repeatable)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True
    stages = [s.value for s in Stage]

    p = commands.add_parser("pick", help="a line to say to the customer")
    p.add_argument("stage", choices=stages)
    _add_locale_options(p)
    p.add_argument("--value", action="append", metavar="NAME=VALUE", help="placeholder value")
    p.add_argument("--seed", type=int, help="make the choice deterministic")
    p.add_argument("--strict", action="store_true", help="the register must match exactly")
    p.add_argument("--entry", metavar="ID", help="pick from this entry only")
    p.set_defaults(handler=_cmd_pick)

    p = commands.add_parser("tips", help="advice for the agent at a stage")
    p.add_argument("stage", choices=stages)
    _add_locale_options(p, register=False)
    p.set_defaults(handler=_cmd_tips)

    p = commands.add_parser("playbook", help="every stage, in order, for a situation")
    p.add_argument("situation")
    _add_locale_options(p, situation=False)
    p.add_argument("--value", action="append", metavar="NAME=VALUE", help="placeholder value")
    p.add_argument("--seed", type=int, help="make the choice deterministic")
    p.set_defaults(handler=_cmd_playbook)

    p = commands.add_parser(
        "listen", help="what a customer's words signal (hints for the agent, not a verdict)"
    )
    p.add_argument("text", help="one utterance: a transcript line or a chat message")
    p.add_argument(
        "--locale",
        default="en",
        help="the language the customer writes in: a tag, list or Accept-Language, or 'auto' "
        "to detect it (the detect extra) (default: en)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_cmd_listen)

    p = commands.add_parser(
        "detect", help="which shipped locale a message is written in (the detect extra)"
    )
    p.add_argument("text", help="one message")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_cmd_detect)

    p = commands.add_parser("situations", help="the situations and what they mean")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_cmd_situations)

    p = commands.add_parser("locales", help="shipped locales, registers and coverage")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_cmd_locales)

    p = commands.add_parser("check", help="validate every catalogue; exit 1 on problems")
    p.add_argument("--locale", action="append", help="check only this locale (repeatable)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_cmd_check)

    p = commands.add_parser(
        "init-overlay", help="write a commented company overlay to start from (never overwrites)"
    )
    p.add_argument("directory", metavar="DIR", help="the overlay directory (created if needed)")
    p.set_defaults(handler=_cmd_init_overlay)

    # A contact with memory: no repeated lines, the abuse ladder, safety mode.
    for name, help_text in (
        ("simulate", "play a whole contact with a list of events, turn by turn"),
        ("coach", "interactive: type a stage or an event per line, get the next line"),
    ):
        p = commands.add_parser(name, help=help_text)
        if name == "simulate":
            p.add_argument("situation", help="what the contact is about, e.g. late-delivery")
            p.add_argument(
                "--events",
                metavar="E1,E2,...",
                help="events in order: insult, calm (calmed-down), asked-for-manager, "
                "threatened-to-sue, cried, self-harm, violence",
            )
        _add_locale_options(p, situation=name == "coach")
        p.add_argument("--name", help="the customer's name, for lines that use it")
        p.add_argument("--value", action="append", metavar="NAME=VALUE", help="contact value")
        p.add_argument("--warnings", type=int, help="warnings before the contact is ended")
        p.add_argument("--seed", type=int, help="make every choice deterministic")
        p.set_defaults(handler=_cmd_simulate if name == "simulate" else _cmd_coach)

    _add_po_commands(commands)

    from .server.settings import add_arguments

    p = commands.add_parser("serve", help="run the HTTP service (needs the 'server' extra)")
    add_arguments(p)
    p.set_defaults(handler=_cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; return the exit code.

    Every failure is one ``deescalate: error: ...`` line on standard error and
    exit code 2 (1 for a failed check): a usage error, a DeescalateError, and
    any operating-system error (a bad path, a closed or full standard output).
    """
    stdout = out or sys.stdout
    parser = build_parser()
    try:
        if stdout is None or stdout.closed:
            raise _UsageError("standard output is closed")
        args = parser.parse_args(argv)
        handler: Handler = args.handler
        status = handler(args, stdout)
        stdout.flush()  # a full disk (/dev/full) shows here, not at interpreter exit
        return status
    except (_UsageError, DeescalateError) as err:
        return _fail(str(err))
    except BrokenPipeError:  # e.g. `deescalate playbook ... | head`: the reader had enough
        _discard_stdout()
        return EXIT_OK
    except OSError as err:
        _discard_stdout()
        return _fail(_os_problem(err))


# Every character str.splitlines() breaks a line at.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _fail(message: str) -> int:
    # One line, whatever the message holds (a PO file's problems are listed on one line each;
    # an argument with a line break in it is shown escaped).
    line = "".join(
        char.encode("unicode_escape").decode("ascii") if char in _LINE_BREAKS else char
        for char in message
    )
    if sys.stderr is not None and not sys.stderr.closed:
        try:
            sys.stderr.write(f"deescalate: error: {line}\n")
            sys.stderr.flush()
        except OSError:
            pass
    return EXIT_USAGE


def _os_problem(err: OSError) -> str:
    where = f"{err.filename}: " if err.filename is not None else ""
    what = err.strerror or str(err)
    if err.filename is None and err.errno is not None and sys.stdout is not None:
        where = "standard output: " if err.errno in (errno.ENOSPC, errno.EIO) else ""
    return f"{where}{what}"


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail again."""
    stream = sys.stdout
    if stream is None:
        return
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass

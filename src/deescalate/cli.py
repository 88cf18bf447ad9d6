"""The ``deescalate`` command: the only module that prints.

Human-readable output by default, ``--json`` for programs. Exit codes: 0 ok,
1 a check failed, 2 a usage error (bad arguments, unknown situation, bad
locale tag, a missing value, ...). Errors are one line on stderr, never a
traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from . import __version__
from .errors import DeescalateError
from .i18n import display_name
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
    load: Callable[..., Phrasebook] | None = getattr(Phrasebook, "load", None)
    if load is None:  # pragma: no cover - overlays ship with the same release
        raise _UsageError("--catalogue is not supported by this version")
    from pathlib import Path

    return load(*(Path(p) for p in paths))


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
    out.write(f"{pb.title}\n{'=' * len(pb.title)}\n")
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
    from .checks import check

    book = _book(args)
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

    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the command line; return the exit code."""
    stdout = out or sys.stdout
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler: Handler = args.handler
        return handler(args, stdout)
    except _UsageError as err:
        sys.stderr.write(f"deescalate: error: {err}\n")
        return EXIT_USAGE
    except DeescalateError as err:
        sys.stderr.write(f"deescalate: error: {err}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # pragma: no cover - e.g. `deescalate playbook ... | head`
        return EXIT_OK

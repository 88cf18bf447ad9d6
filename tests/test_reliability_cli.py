"""Every CLI failure is one `deescalate: error:` line and exit 2: paths, pipes, full disks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deescalate._files import FileProblem, read_regular
from deescalate.cli import in_source_checkout, main

LONG = "x" * 300


def _run(argv: list[str], **popen: object) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a real process (file descriptors as the shell leaves them)."""
    return subprocess.run(
        [sys.executable, "-m", "deescalate", *argv],
        capture_output="stdout" not in popen and "stdin" not in popen,
        text=True,
        timeout=120,
        check=False,
        **popen,  # type: ignore[call-overload]
    )


def _one_error_line(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("deescalate: error: ")


@pytest.mark.parametrize(
    "argv",
    [
        ["init-overlay", "{file}/sub"],
        ["init-overlay", "/proc/x"],
        ["init-overlay", LONG],
        ["po", "export", "--locale", "da", "--out", "{file}"],
        ["--catalogue", LONG, "pick", "calm"],
        ["--catalogue", "{file}", "pick", "calm"],
    ],
)
def test_bad_paths_are_one_error_line(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Case 10: init-overlay into a file or /proc, a 300-character name, --out an existing
    file, a too-long or non-directory --catalogue: one error line, exit 2."""
    existing = tmp_path / "file"
    existing.write_text("x", encoding="utf-8")
    args = [a.replace("{file}", str(existing)) for a in argv]
    assert main(args) == 2
    assert _one_error_line(capsys.readouterr().err)


def test_an_unreadable_overlay_file_is_one_error_line() -> None:
    """Case 10: a read error (EIO) is a problem of that file, not an OSError traceback."""
    with pytest.raises(FileProblem, match="Input/output error"):
        read_regular(Path("/proc/self/mem"), 1000)


@pytest.mark.slow
def test_closed_stdin_for_coach_is_one_error_line() -> None:
    """Case 10: `deescalate coach <&-` prints one error line and exits 2."""
    result = subprocess.run(
        [sys.executable, "-m", "deescalate", "coach"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.close(0),
    )
    assert result.returncode == 2
    assert _one_error_line(result.stderr)


@pytest.mark.slow
def test_closed_stdout_is_one_error_line() -> None:
    """Case 10: `deescalate pick calm >&-` prints one error line and exits 2."""
    result = subprocess.run(
        [sys.executable, "-m", "deescalate", "pick", "calm"],
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert result.returncode == 2
    assert _one_error_line(result.stderr)


@pytest.mark.slow
def test_a_full_disk_is_one_error_line() -> None:
    """Case 10: `deescalate pick calm >/dev/full` prints one error line and exits 2."""
    with open("/dev/full", "w", encoding="utf-8") as full:
        result = subprocess.run(
            [sys.executable, "-m", "deescalate", "playbook", "general"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 2
    assert _one_error_line(result.stderr)
    assert "No space left on device" in result.stderr


def test_po_import_never_targets_an_installed_package(tmp_path: Path) -> None:
    """Case 14: without --dir, only a source checkout's catalogues may be written."""
    installed = tmp_path / "lib" / "python3.11" / "site-packages" / "deescalate" / "locales"
    installed.mkdir(parents=True)
    assert not in_source_checkout(installed)
    checkout = tmp_path / "repo" / "src" / "deescalate" / "locales"
    checkout.mkdir(parents=True)
    assert not in_source_checkout(checkout)  # no pyproject.toml: not a checkout
    (tmp_path / "repo" / "pyproject.toml").write_text("", encoding="utf-8")
    assert in_source_checkout(checkout)


def test_coach_refuses_an_overlong_line_and_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line longer than coach reads is reported (with its length) and the contact goes on."""
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("calm\n" + "x" * 50_000 + "\nnext\n"))
    assert main(["coach", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "error: the line is 50000 characters long" in out
    assert "[2]" in out

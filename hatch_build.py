"""Wheel build hook: ship the catalogues compiled as well as in TOML.

Runs ``python -m deescalate.catalogue.compiled`` on the source tree's catalogues, which
validates every shipped file (a broken catalogue fails the build) and writes
the structures loading them produces; the wheel carries them in
``deescalate/locales/_compiled/``. Editable installs read the TOML directly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CompiledCataloguesHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._target: str | None = None
        if self.target_name != "wheel" or version == "editable":
            return
        src = Path(self.root) / "src"
        self._target = tempfile.mkdtemp(prefix="deescalate-compiled-")
        # sys.path is set in the child itself: the build environment drops PYTHONPATH
        # entries that an installed copy (an editable install, say) also lists.
        program = (
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from deescalate.catalogue.compiled import main; sys.exit(main(sys.argv[2:]))"
        )
        subprocess.run(
            [sys.executable, "-c", program, str(src), str(src / "deescalate" / "locales"),
             self._target],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONHASHSEED": "0"},  # the same bytes from the same sources
        )  # fmt: skip
        for compiled in sorted(Path(self._target).iterdir()):
            build_data["force_include"][str(compiled)] = (
                f"deescalate/locales/_compiled/{compiled.name}"
            )

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._target is not None:
            shutil.rmtree(self._target, ignore_errors=True)

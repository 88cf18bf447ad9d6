"""The layout docs/architecture.md describes: imports flow one way, with no cycles."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import deescalate

PACKAGE = Path(deescalate.__file__).parent
DOC = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, *, at_call_time: bool = False) -> set[str]:
    """The package modules ``path`` imports when it is imported (not in functions, not
    for type checking only); with ``at_call_time``, also those its functions import
    when they run (still not those for type checking only)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    text = path.read_text(encoding="utf-8")
    return _imports_of_text(text, name, package, at_call_time=at_call_time)


def _imports_of_text(text: str, name: str, package: str, *, at_call_time: bool = False) -> set[str]:
    """What :func:`_imports` finds in the source ``text`` of module ``name``."""
    found: set[str] = set()

    def add(node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("deescalate"))
            return
        if node.level:
            base = package.split(".")
            base = base[: len(base) - (node.level - 1)]
            module = ".".join([*base, *([node.module] if node.module else [])])
        else:
            module = node.module or ""
        if not module.startswith("deescalate"):
            return
        found.add(module)
        for alias in node.names:  # `from . import render` imports a module
            candidate = f"{module}.{alias.name}"
            if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists():
                found.add(candidate)

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                if node.orelse:
                    visit(node.orelse)
                continue
            if isinstance(node, ast.Import | ast.ImportFrom):
                add(node)
            elif isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
                for block in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, block, []):
                        visit(child.body if isinstance(child, ast.ExceptHandler) else [child])
            elif isinstance(node, ast.ClassDef) or (
                at_call_time and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            ):
                visit(node.body)

    visit(ast.parse(text).body)
    # A submodule's import of its own parent package is implicit in Python: not an edge.
    return {m for m in found if m != name and not name.startswith(m + ".")}


def _graph(*, at_call_time: bool = False) -> dict[str, set[str]]:
    return {
        _module_name(path): _imports(path, at_call_time=at_call_time)
        for path in sorted(PACKAGE.rglob("*.py"))
        if "locales" not in path.parts
    }


LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "_version", "limits", "_records"),
    ("models",),
    ("_files", "i18n"),
    ("formats", "render", "phrasing", "_patterns", "_prefilter"),
    ("catalogue",),
    ("_arguments", "choice"),
    ("results",),
    ("selection",),
    ("playbooks",),
    ("detect",),
    ("listening",),
    ("conversation",),
    ("picker",),
    ("checks", "po"),
    ("server", "cli", "__main__", ""),
)
"""The layers of docs/architecture.md, lowest first: a module imports only its own
layer and those below it, at import time and when its functions run."""


def _layer(module: str) -> int:
    parts = module.split(".")[1:]  # without "deescalate"
    first = parts[0] if parts else ""
    for index, layer in enumerate(LAYERS):
        if first in layer:
            return index
    raise AssertionError(f"{module} is in no layer of tests/test_architecture.py")


@pytest.mark.parametrize("at_call_time", [False, True], ids=["import time", "call time"])
def test_no_module_imports_itself_back(at_call_time: bool) -> None:
    """No import cycle among the package's modules when they are imported, nor when the
    imports their functions make at run time are counted too."""
    graph = _graph(at_call_time=at_call_time)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                walk(target, [*stack, target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []


def test_the_lower_layers_import_nothing_above_them() -> None:
    """errors imports nothing of ours; models only errors; the catalogue package never the
    picker; conversations reach the picker only through the book they are given."""
    graph = _graph()
    assert graph["deescalate.errors"] == set()
    assert graph["deescalate.models"] <= {"deescalate.errors"}
    for module, targets in graph.items():
        if module.startswith("deescalate.catalogue"):
            assert "deescalate.picker" not in targets, module
    assert "deescalate.picker" not in graph["deescalate.conversation"]
    assert graph["deescalate.catalogue.schema"] <= {
        "deescalate.errors",
        "deescalate.models",
        "deescalate.catalogue.toml",
        "deescalate.limits",
    }


def test_every_import_points_down_the_layers() -> None:
    """Every import, at import time or in a function when it runs, goes to the module's
    own layer or one below it: a call-time import back up (the picker importing something
    that imports the picker) fails here even though it makes no cycle at import time."""
    upward = [
        f"{module} -> {target}"
        for module, targets in _graph(at_call_time=True).items()
        for target in targets
        if _layer(target) > _layer(module)
    ]
    assert upward == []


def test_the_layer_check_catches_a_call_time_import_back_up() -> None:
    """The import reader sees an import inside a function (and one inside a method) and
    ignores one for type checking only, so the layer test above would catch it."""
    text = (
        "from typing import TYPE_CHECKING\n"
        "from . import render\n"
        "if TYPE_CHECKING:\n"
        "    from .conversation import Conversation\n"
        "class Book:\n"
        "    def chat(self):\n"
        "        from .listening import listen\n"
        "def f():\n"
        "    if True:\n"
        "        import deescalate.cli\n"
    )
    name = "deescalate.selection"
    at_import = _imports_of_text(text, name, "deescalate")
    at_call = _imports_of_text(text, name, "deescalate", at_call_time=True)
    assert at_import == {"deescalate.render"}
    assert at_call - at_import == {"deescalate.listening", "deescalate.cli"}
    assert all(_layer(m) > _layer(name) for m in at_call - at_import)


def test_the_architecture_page_names_every_module() -> None:
    """docs/architecture.md names every module of the package, so the map stays true."""
    page = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z0-9_./]+\.py|[a-z0-9_]+/)`", page))
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("locales",) or path.name == "__main__.py":
            continue
        shown = str(relative) if len(relative.parts) == 1 else f"{relative.parts[0]}/"
        assert shown in named, f"docs/architecture.md does not mention {shown}"


def test_the_translator_tools_work_on_the_catalogue_store() -> None:
    """check() and the PO exports take the catalogue Store itself and give what they give
    for the phrasebook that holds it; anything else is refused by name."""
    from deescalate.checks import check
    from deescalate.errors import InvalidOptionError
    from deescalate.po import export_po, export_pot

    book = deescalate.Phrasebook.default()
    store = book.store
    assert isinstance(store, deescalate.catalogue.Store)
    assert check(store, ("da",)) == check(book, ("da",))
    assert export_pot(store) == export_pot(book)
    assert export_po(store, "ko") == export_po(book, "ko")
    with pytest.raises(InvalidOptionError, match="a catalogue Store"):
        check(store.neutral)  # type: ignore[arg-type]

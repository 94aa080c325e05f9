"""The house's rules, read from the code itself (every module's imports, through ``ast``).

Where code may live and what it may import is written in ``docs/architecture.md``; this test
is what keeps it true. It reads every import of every module under ``src/`` and ``flows/``
(those inside functions too: an import moved into a function is still a dependency) and fails
on an import circle between modules, on a part of the package importing one it must not, and
on a module or a function grown past its size.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

# part -> the parts of the package it must never import ("cli" is opendata.cli).
FORBIDDEN = {
    "validate": {"publish", "datasets", "intake", "portal", "flows", "cli"},
    "datasets": {"publish", "intake", "portal", "flows", "cli"},
    "publish": {"intake", "portal", "flows", "cli"},
    "intake": {"publish", "datasets", "portal", "flows"},
    "portal": {"flows", "cli"},
}
# These import nothing of the package but settings.
LEAVES = {"contracts", "report", "settings"}
WEB = {"starlette", "uvicorn", "jinja2"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted([*SRC.rglob("*.py"), *(ROOT / "flows").glob("*.py")]):
        parts = path.relative_to(SRC if SRC in path.parents else ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``path`` imports (absolute, relative resolved), in the package or not."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield full if full in MODULES else base


def _part(module: str) -> str:
    """``opendata.validate.engine.keys`` -> ``validate``; ``opendata.cli`` -> ``cli``;
    ``flows.publish`` -> ``flows``."""
    parts = module.split(".")
    if parts[0] == "flows":
        return "flows"
    return parts[1] if len(parts) > 1 else "opendata"


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}
INTERNAL = {name: {i for i in deps if i in MODULES and i != name} for name, deps in GRAPH.items()}


def test_the_graph_is_read() -> None:
    """The reading above sees the package (a broken walk would pass every rule below)."""
    assert "opendata.validate.engine.keys" in MODULES and "flows.publish" in MODULES
    assert "opendata.contracts.registry" in INTERNAL["opendata.validate.file"]
    assert "prefect" in {i.split(".")[0] for i in GRAPH["flows.publish"]}


def test_no_import_circle() -> None:
    """No module reaches itself through its imports (function-level ones included)."""
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(INTERNAL[node]):
            # A package's __init__ imported by its own modules is how Python loads them,
            # not a circle of ours: only edges between distinct modules count.
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(INTERNAL):
        if name not in state:
            visit(name, [name])
    assert circles == []


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_a_part_never_imports_what_it_must_not(part: str) -> None:
    wrong = sorted(
        f"{name} imports {dep}"
        for name, deps in INTERNAL.items()
        if _part(name) == part
        for dep in deps
        if _part(dep) in FORBIDDEN[part]
    )
    assert wrong == []


def test_contracts_report_and_settings_import_only_settings() -> None:
    wrong = sorted(
        f"{name} imports {dep}"
        for name, deps in INTERNAL.items()
        if _part(name) in LEAVES
        for dep in deps
        if _part(dep) not in {_part(name), "settings"}
    )
    assert wrong == []


def test_publish_reaches_a_dataset_only_through_the_loader() -> None:
    """``opendata.datasets`` (the loader) and its generic modules, never a dataset's own."""
    wrong = sorted(
        f"{name} imports {dep}"
        for name, deps in INTERNAL.items()
        if _part(name) == "publish"
        for dep in deps
        if dep.startswith("opendata.datasets.") and MODULES[dep].parent.name != "datasets"
    )
    assert wrong == []


def test_only_the_flows_import_prefect_and_only_the_faces_the_web() -> None:
    prefect = sorted(
        name
        for name, deps in GRAPH.items()
        if _part(name) != "flows" and any(d.split(".")[0] == "prefect" for d in deps)
    )
    web = sorted(
        name
        for name, deps in GRAPH.items()
        if _part(name) not in {"portal", "cli"} and any(d.split(".")[0] in WEB for d in deps)
    )
    assert prefect == [] and web == []


def test_no_module_and_no_function_is_too_long() -> None:
    long_modules = []
    long_functions: dict[str, int] = {}
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    long_functions[f"{name}.{node.name}"] = size
    assert long_modules == []
    assert long_functions == {}


def test_the_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    """The circle finder and the part rules on a made-up graph: they do fail."""
    global INTERNAL
    saved = INTERNAL
    try:
        INTERNAL = {
            "opendata.validate.a": {"opendata.publish.b"},
            "opendata.publish.b": {"opendata.validate.a"},
        }
        with pytest.raises(AssertionError):
            test_no_import_circle()
        with pytest.raises(AssertionError):
            test_a_part_never_imports_what_it_must_not("validate")
    finally:
        INTERNAL = saved


def _is_table(node: ast.stmt) -> bool:
    """A module-level table: ``NAME = …``, ``NAME: … = …`` or ``NAME.update(…)``, the name in
    capitals (``_WORDS`` too)."""
    if isinstance(node, ast.Assign):
        names = node.targets
    elif isinstance(node, ast.AnnAssign):
        names = [node.target]
    elif (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "update"
    ):
        names = [node.value.func.value]
    else:
        return False
    return all(isinstance(n, ast.Name) and n.id.lstrip("_").isupper() for n in names)


def _french_literals(path: Path) -> list[tuple[int, str]]:
    """String literals of a module with French in them, docstrings and tables aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skipped.add(id(body[0].value))
    for statement in tree.body:
        if _is_table(statement):
            skipped.update(id(n) for n in ast.walk(statement))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in skipped and re.search(r"[éèàùçêâîôûœ«»]", node.value)
    ]  # fmt: skip


# Every module says its sentences from a table (a module-level constant in capitals: the
# command's cli/words.py, report/operations.py, report/catalogue.py, publish/words.py, the
# portal's words_fr/words_en, a rule family's WORDS, a chart's WORDS), never inline. A
# dataset's transform and samples are the exception: their French is the contracts' column
# labels and the sample deliveries' values, data rather than sentences.
SAID_FROM_TABLES = [
    path
    for path in [*sorted((SRC / "opendata").rglob("*.py")), *sorted((ROOT / "flows").glob("*.py"))]
    if not (path.parent.parent.name == "datasets" and path.name in ("transform.py", "samples.py"))
    and not (path.parent.name == "datasets" and path.name == "samples.py")
]


def test_the_command_says_its_sentences_from_one_table(tmp_path: Path) -> None:
    """Every sentence of the package (the command, the flows, the publication and what it
    publishes, the intake, the portal, the reports) is in a table, French and English side
    by side where both are said; none inline."""
    found = {
        f"{path.relative_to(ROOT)}:{line}": text[:60]
        for path in SAID_FROM_TABLES
        for line, text in _french_literals(path)
    }
    assert found == {}
    assert len(SAID_FROM_TABLES) > 100  # the whole package, not a list of a few modules
    planted = tmp_path / "planted.py"
    planted.write_text(
        '"""Doc déjà."""\nWORDS = {"a": "écrit"}\nWORDS.update({"b": "là"})\n'
        'def f():\n    return "modèle écrit"\n',
        encoding="utf-8",
    )
    assert _french_literals(planted) == [(5, "modèle écrit")]  # the check finds one

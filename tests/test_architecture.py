"""The package follows the pipeline: a lower stage never imports a higher one,
and no modules import each other in a circle (imports inside functions
count: a lazy import hides a loop, it does not remove it).  See
docs/architecture.md for the stage map."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "ictqa"

# Stage of each top-level module or subpackage of ictqa, lowest first.  A
# module may import its own unit and units of a lower stage only.
STAGES: list[tuple[str, ...]] = [
    ("ictqa", "errors", "documents"),  # the version, the error type, the value types
    ("lexical", "bank"),  # text utilities; shipped data
    ("ingest",),  # files → SourceText
    ("parse",),  # SourceText → sections
    ("chunks", "glossary", "loanwords", "model"),  # sections → chunks; English terms; encoders
    ("index", "results"),  # chunks + vectors + tokens → an index; what a search returns
    ("search",),  # index + question → results
    ("evaluation", "batchio"),  # measuring; question files
    ("web",),  # the web form
    ("cli",),  # the command line
    ("__main__",),
]
RANK = {unit: i for i, units in enumerate(STAGES) for unit in units}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_module(name: str) -> bool:
    p = SRC.parent / Path(*name.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


def _imports(path: Path) -> set[str]:
    """The ictqa modules a file imports, anywhere in it."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "ictqa")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "ictqa":
                continue
            # "from . import signals" imports a submodule, not a name of the
            # package's __init__.
            submodules = {f"{target}.{a.name}" for a in node.names if _is_module(f"{target}.{a.name}")}
            out |= submodules
            if len(submodules) < len(node.names):
                out.add(target)
    out.discard(name)
    return out


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ictqa"


GRAPH = {_module_name(p): _imports(p) for p in sorted(SRC.rglob("*.py"))}


def test_every_unit_has_a_stage():
    units = {_unit(m) for m in GRAPH}
    assert units <= set(RANK), f"add {sorted(units - set(RANK))} to STAGES (and to docs/architecture.md)"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_upward_imports(module):
    mine = _unit(module)
    bad = sorted(t for t in GRAPH[module] if _unit(t) != mine and RANK[_unit(t)] >= RANK[mine])
    assert not bad, f"{module} (stage {RANK[mine]}) imports {bad}, which are not below it"


def test_no_import_cycles():
    # A package's __init__ may import its own submodules (that is how it
    # exports them); a submodule importing its package's __init__ would then
    # be a loop, and is caught like any other.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(GRAPH.get(m, ())):
            if t not in GRAPH:
                continue
            if state.get(t) == 1:
                cycle = stack[stack.index(t) :] + [t]
                pytest.fail("import cycle: " + " → ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m)


def test_the_checker_sees_imports():
    """The test above cannot pass by seeing nothing."""
    assert "ictqa.index" in GRAPH["ictqa.search.signals"]
    assert "ictqa.model.onnx" in GRAPH["ictqa.model.registry"]  # an import inside a function
    assert "ictqa.search.signals" in GRAPH["ictqa.search.searcher"]  # from . import signals

"""The import structure docs/ARCHITECTURE.md describes, held against the code: layers only import downwards, the
light readers (selection, business case, planner) never reach the engine or a use case's TensorFlow code, and no
two modules import each other, directly or round a loop. Every import counts, inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Bottom first: a module may import its own layer and those below it, never one above.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("core.config", "core.errors", "core.i18n")),
    ("contract", ("core.contract",)),
    ("data", ("core.data", "core.auth")),
    ("records", ("core.models", "core.tracking", "core.evaluation", "core.walkthrough", "core.inspection",
                 "core.llm")),
    ("evidence readers", ("core.selection", "core.business", "core.deployment")),
    ("engine", ("core.training", "core.audit")),
    ("use cases", ("core.usecases",)),
    ("planner", ("core.strategy",)),
    ("dashboard", ("dashboard",)),
    ("pages", ("pages",)),
)
# Beyond the order: what the Strategy, Runs and Selection pages load must stay free of TensorFlow, so the evidence
# readers and the planner reach use cases only through the contract and never the engine; the engine reads use
# cases through the registry (by name), never a package's code.
NEVER: dict[str, tuple[str, ...]] = {
    "core.selection": ("core.training", "core.usecases"),
    "core.business": ("core.training", "core.usecases"),
    "core.strategy": ("core.training", "core.usecases"),
    "core.training": ("core.usecases",),
    "core": ("dashboard", "pages", "streamlit"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    files = [*ROOT.joinpath("core").rglob("*.py"), *ROOT.joinpath("dashboard").rglob("*.py"),
             *ROOT.joinpath("pages").glob("*.py")]
    return {_module_name(path): path for path in files}


MODULES = _modules()


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every import statement in a file, at any depth, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            # "from core.training import pipeline" imports the module core.training.pipeline
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names
                      if f"{base}.{alias.name}" in MODULES]
    return found


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_of(module: str) -> int | None:
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(_under(module, prefix) for prefix in prefixes):
            return index
    return None


def test_every_studio_module_has_a_layer():
    assert [name for name in MODULES if name != "core" and layer_of(name) is None] == []


def test_layers_only_import_downwards():
    upward = []
    for name, path in MODULES.items():
        here = layer_of(name)
        for line, imported in imports_of(path):
            there = layer_of(imported)
            if here is not None and there is not None and there > here:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({LAYERS[here][0]}) imports {imported} "
                              f"({LAYERS[there][0]})")
    assert upward == []


@pytest.mark.parametrize("reader", sorted(NEVER))
def test_light_readers_never_import_what_would_pull_tensorflow_in(reader):
    banned = []
    for name, path in MODULES.items():
        if not _under(name, reader):
            continue
        for line, imported in imports_of(path):
            if any(_under(imported, forbidden) for forbidden in NEVER[reader]):
                banned.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert banned == []


def test_no_two_modules_import_each_other_even_round_a_loop():
    graph = {name: {imported for _, imported in imports_of(path) if imported in MODULES and imported != name}
             for name, path in MODULES.items()}
    loops = [sorted(component) for component in _strongly_connected(graph) if len(component) > 1]
    assert loops == []


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components, iteratively (no recursion limit on a long chain)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[set[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                components.append(component)
    return components


def test_the_loop_finder_finds_a_loop_and_the_layer_check_an_upward_import():
    """The checks above can fail: a hand-made loop is found, and an engine module importing the planner is upward."""
    loops = _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})
    assert sorted(map(sorted, loops)) == [["a", "b", "c"], ["d"]]
    assert layer_of("core.training.pipeline") < layer_of("core.strategy.model")
    assert layer_of("core.contract.registry") < layer_of("core.data.cache") < layer_of("core.training.fitters")

"""The shape of the house: every module imports only from its own layer or those below,
the import graph (type-only imports included) has no circle, and the simulator imports
nothing of the client. The layers are the ones docs/architecture.md draws."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gws_async"

# Lowest first; a module may import from its own layer and the layers before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "wire",
        (
            "gws_async._json",
            "gws_async._exceptions",
            "gws_async._timeouts",
            "gws_async._backoff",
            "gws_async._limits",
        ),
    ),
    (
        "transport",
        (
            "gws_async._bayeux_poll",
            "gws_async._bayeux_wire",
            "gws_async._bayeux_pacing",
            "gws_async.bayeux",
            "gws_async._transport",
        ),
    ),
    (
        "meaning",
        (
            "gws_async._base",
            "gws_async.topics",
            "gws_async.models",
            "gws_async.events",
            "gws_async.results",
        ),
    ),
    ("delivery", ("gws_async._waiters", "gws_async._streams", "gws_async._listener")),
    ("api", ("gws_async.resources", "gws_async._client")),
    (
        "applications",
        (
            "gws_async.bot",
            "gws_async.pool",
            "gws_async.fleet",
            "gws_async.cli",
            "gws_async.pytest_plugin",
            "gws_async.__main__",
            "gws_async",
        ),
    ),
)
SIMULATOR = "gws_async.simulator"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split("."))
    base = PACKAGE.parent / relative
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _imports(path: Path) -> Iterator[str]:
    """The gws_async modules ``path`` imports, wherever the import stands (type-only too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if _is_module(candidate) else base


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        graph[name] = {
            target
            for target in _imports(path)
            if (target == "gws_async" or target.startswith("gws_async.")) and target != name
        }
    return graph


def _layer(module: str) -> int | None:
    best: tuple[int, int] | None = None  # (length of the matching prefix, layer)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            inside = module == prefix or module.startswith(prefix + ".")
            if inside and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


GRAPH = _graph()


def test_every_module_has_a_layer() -> None:
    homeless = [m for m in GRAPH if _layer(m) is None and not m.startswith(SIMULATOR)]
    assert homeless == [], "add these modules to a layer in LAYERS and docs/architecture.md"


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        f"{module} ({LAYERS[source][0]}) imports {target} ({LAYERS[layer][0]})"
        for module, targets in GRAPH.items()
        if (source := _layer(module)) is not None
        for target in targets
        if (layer := _layer(target)) is not None and layer > source
    ]
    assert upward == []


def test_the_simulator_imports_nothing_of_the_client() -> None:
    outside = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith(SIMULATOR)
        for target in targets
        if not target.startswith(SIMULATOR)
    ]
    assert outside == []


def test_the_client_does_not_import_the_simulator() -> None:
    allowed = {"gws_async.pytest_plugin"}
    inside = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if not module.startswith(SIMULATOR)
        and not module.startswith("gws_async.cli")
        and module not in allowed
        for target in targets
        if target.startswith(SIMULATOR)
    ]
    assert inside == []


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_the_import_graph_has_no_circle() -> None:
    cycle = _cycle()
    assert cycle is None, " -> ".join(cycle or [])


@pytest.mark.parametrize(
    ("module", "imported"),
    [
        ("gws_async._client", "gws_async._transport"),
        ("gws_async._listener", "gws_async.bayeux"),
        ("gws_async.resources.workbins", "gws_async._listener"),
    ],
)
def test_the_graph_sees_real_imports(module: str, imported: str) -> None:
    # Guards the checks above against a parser that finds nothing.
    assert imported in GRAPH[module]

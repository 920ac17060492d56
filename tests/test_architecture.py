"""The layout's import rules (see /DESIGN: "Layout"), checked on the source of every module in engine/.

Every import counts, wherever it is written (top of the file, inside a function, under TYPE_CHECKING, or
importlib.import_module / __import__ with a literal name): a deferred import still ties the modules together.

- The pure core (engine/machine/*, clock, params) and the ground floor under it import only each other and the
  standard library: no numpy, soundfile, pyo, socket or onnxruntime, nothing from generate/, audio/, osc/,
  score/ (reading files), the heartbeat or the session.
- pyo only inside engine/audio; onnxruntime only inside engine/generate; socket only inside engine/osc and
  engine/monitor.py (`segue monitor`, a client that listens for the engine's feedback).
- No import cycles between engine modules.
- The audio graph imports nothing above it (heartbeat, session, doors, CLI, OSC, score loading), and its parts
  (mix, sidechain, master, metering) meet only in engine/audio/graph.py, which builds them in signal order.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

ENGINE = ROOT / "engine"
CORE = ("engine.machine", "engine.clock", "engine.params")
GROUND = ("engine.clock", "engine.params", "engine.events", "engine.units", "engine.fades", "engine.roles",
          "engine.harmony", "engine.meter", "engine.gm", "engine.errors", "engine.stems", "engine.timequeue")  # engine.stems holds only pack.py, pure data
IMPURE = ("numpy", "soundfile", "pyo", "socket", "onnxruntime")
AUDIO_PARTS = ("engine.audio.mix", "engine.audio.sidechain", "engine.audio.master", "engine.audio.metering")
ABOVE_AUDIO = ("engine.heartbeat", "engine.session", "engine.doors", "engine.cli", "engine.osc", "engine.score")
ONLY_IN = {"pyo": ("engine.audio",), "onnxruntime": ("engine.generate",), "socket": ("engine.osc", "engine.monitor")}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(ENGINE.rglob("*.py"))}


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imported_names(path: Path) -> set[str]:
    """Every module name the file imports, as written (`from a.b import c` gives a.b and a.b.c)."""
    name, out = module_name(path), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__"):
                out.add(node.args[0].value)
    return out


def engine_imports(path: Path) -> set[str]:
    """The engine modules the file imports (a name that is an attribute of a module counts as that module)."""
    out = set()
    for name in imported_names(path):
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        if name and name != "engine" and name != module_name(path):
            out.add(name)
    return out


def third_party(path: Path) -> set[str]:
    return {n.split(".")[0] for n in imported_names(path) if not n.startswith("engine")}


GRAPH = {name: engine_imports(path) for name, path in MODULES.items()}


def test_the_rules_see_the_whole_engine():
    assert len(MODULES) > 60 and "engine.machine.runtime" in MODULES and "engine.audio.graph" in MODULES
    assert "engine.fades" in GRAPH["engine.machine.playback"]  # `from engine.fades import ...`
    assert "engine.fades" in GRAPH["engine.audio.envelope"]  # `from engine import fades`
    assert "pyo" in third_party(MODULES["engine.audio.backend"])  # imported inside a function


@pytest.mark.parametrize("name", sorted(n for n in MODULES if within(n, CORE + GROUND)))
def test_the_core_and_its_ground_floor_stay_pure(name):
    path = MODULES[name]
    impure = third_party(path) & set(IMPURE)
    assert not impure, f"{name} imports {', '.join(sorted(impure))}: the pure core must not"
    floor = CORE + GROUND if within(name, CORE) else GROUND
    above = sorted(n for n in GRAPH[name] if not within(n, floor))
    assert not above, f"{name} imports {', '.join(above)}, which is not below it in the layout"


@pytest.mark.parametrize("package", sorted(ONLY_IN))
def test_a_dependency_stays_in_its_own_part(package):
    users = sorted(n for n, p in MODULES.items() if package in third_party(p))
    strays = [n for n in users if not within(n, ONLY_IN[package])]
    assert users and not strays, f"{package} is imported outside {', '.join(ONLY_IN[package])}: {strays}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if within(n, ("engine.audio",))))
def test_the_audio_graph_imports_nothing_above_it(name):
    above = sorted(n for n in GRAPH[name] if within(n, ABOVE_AUDIO))
    assert not above, f"{name} imports {', '.join(above)}, which is above the audio graph in the layout"


@pytest.mark.parametrize("part", AUDIO_PARTS)
def test_the_graphs_parts_meet_only_in_the_graph(part):
    """Each part is built from what the graph hands it (the signal before it), so the graph alone fixes the order
    in which pyo creates, and so computes, the chain."""
    assert part in MODULES
    others = sorted(n for n in GRAPH[part] if n in AUDIO_PARTS or n == "engine.audio.graph")
    assert not others, f"{part} imports {', '.join(others)}: parts meet only in engine.audio.graph"
    importers = sorted(n for n, imports in GRAPH.items() if part in imports)
    assert importers == ["engine.audio.graph"], f"{part} is imported by {importers}, not only by the graph"


def test_no_import_cycles():
    """Tarjan's strongly connected components over the engine's import graph: each must be a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in GRAPH:
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


def test_importing_the_core_loads_no_audio_model_or_network_code():
    """What the interpreter really loads, beyond what the source says: the whole core in a fresh process."""
    core = sorted(n for n in MODULES if within(n, CORE + GROUND))
    probe = (f"import sys\nimport {', '.join(core)}\n"
             f"print(' '.join(sorted(m for m in {IMPURE!r} if m in sys.modules)))\n"
             "print(' '.join(sorted(m for m in sys.modules if m.startswith(('engine.generate', 'engine.audio', "
             "'engine.osc', 'engine.score', 'engine.session', 'engine.heartbeat')))))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    impure, upper = done.stdout.split("\n")[:2]
    assert impure == "" and upper == "", f"importing the core loaded: {impure} {upper}"

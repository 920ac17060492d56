"""A state machine as a diagram: Mermaid (renders on GitHub and in most editors) or Graphviz DOT."""
from __future__ import annotations

from engine.machine.model import ANY, PREVIOUS, DeskAction, Machine


def edges(machine: Machine) -> list[tuple[str, str, str]]:
    """(from, to, label) for every way between states: rules, auto-advance, and 'go' cues."""
    out = []
    for t in machine.transitions:
        sources = [s for s in machine.states if s != t.target] if t.source == ANY else [t.source]
        label = f"{t.when_text} @ {t.sync}" + (f" via {t.bridge}" if t.bridge else "")
        out += [(s, t.target, label) for s in sources]
    for s in machine.states.values():
        if s.then and s.then != PREVIOUS:
            out.append((s.name, s.then, "segment end"))
        elif s.then == PREVIOUS:
            out.append((s.name, "previous", "segment end"))
    return out


def mermaid(machine: Machine) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {machine.initial}"]
    for s in machine.states.values():
        extras = [f"{len(s.layers)} layers"] + [f"generates {g}" for g in s.generate]
        lines.append(f"    {s.name}: {s.name} ({s.segment})\\n{', '.join(extras)}")
    for a, b, label in edges(machine):
        target = "[*]" if b == "previous" else b
        lines.append(f"    {a} --> {target}: {label.replace(':', ' ')}")
    for cue in machine.cues.values():
        if cue.action == DeskAction.GO:
            lines.append(f"    note right of {cue.target}: cue {cue.name} goes here ({cue.sync})")
    return "\n".join(lines) + "\n"


def dot(machine: Machine) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph segue {", "  rankdir=LR;", "  node [shape=box, style=rounded];",
             "  start [shape=point];", f"  start -> {q(machine.initial)};"]
    for s in machine.states.values():
        label = q(s.name)[:-1] + "\\n(" + q(s.segment)[1:-1] + ')"'  # DOT's own \n line break
        lines.append(f"  {q(s.name)} [label={label}];")
    for a, b, label in edges(machine):
        lines.append(f"  {q(a)} -> {q(b)} [label={q(label)}];")
    for cue in machine.cues.values():
        if cue.action == DeskAction.GO:
            lines.append(f"  {q('cue ' + cue.name)} [shape=note];")
            lines.append(f"  {q('cue ' + cue.name)} -> {q(cue.target)} [style=dashed];")
    lines.append("}")
    return "\n".join(lines) + "\n"

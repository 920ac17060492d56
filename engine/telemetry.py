"""Telemetry scripts: timed OSC messages in YAML, replayed through the same address map as live OSC.

    duration: 40            # seconds to render
    messages:
      - {at: 2.0, address: /segue/param/intensity, args: [0.4]}
      - {at: 4.0, address: /segue/event/enemy_spotted}
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.events import Telemetry
from engine.osc.routes import OscInputError, Router
from engine.yamldoc import Doc


@dataclass(frozen=True)
class Cue:
    at: float  # seconds from the start
    item: Telemetry


@dataclass(frozen=True)
class Script:
    duration: float
    cues: tuple[Cue, ...]


def load_script(path: Path | str, router: Router) -> Script:
    doc = Doc.load(Path(path))
    top = doc.mapping(doc.root, "telemetry script", {"duration", "messages"}, ("duration", "messages"))
    doc.raise_if_problems()
    assert top is not None
    duration = doc.number(top["duration"][1], "duration (seconds)", 0.01, 24 * 3600)
    cues = []
    for i, node in enumerate(doc.sequence(top["messages"][1], "messages") or []):
        where = f"message {i + 1}"
        m = doc.mapping(node, where, {"at", "address", "args"}, ("at", "address"))
        if not m or "at" not in m or "address" not in m:
            continue
        at = doc.number(m["at"][1], f"{where}: at (seconds)", 0, duration or 0)
        address = doc.string(m["address"][1], f"{where}: address")
        args = []
        if "args" in m:
            args = [doc.scalar(n, f"{where}: argument") for n in doc.sequence(m["args"][1], f"{where}: args") or []]
        if at is None or address is None:
            continue
        try:
            item = router.route(address, args)
        except OscInputError as exc:
            doc.error(m["address"][1], f"{where}: {address}: {exc}")
            continue
        if item is not None:
            cues.append(Cue(at, item))
    doc.raise_if_problems()
    assert duration is not None
    return Script(duration, tuple(sorted(cues, key=lambda c: c.at)))

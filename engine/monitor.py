"""`segue monitor`: a live terminal view of a running engine, from its OSC feedback (rich).

It subscribes like any other client, so it can watch an engine on another machine, and it never touches
the engine's process: the view costs the audio nothing.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text


@dataclass
class MonitorState:
    state: str = "?"
    bar: int = 0
    beat: int = 0
    bpm: float = 0.0
    params: dict[str, float] = field(default_factory=dict)
    layers: dict[str, float] = field(default_factory=dict)
    meters: tuple[float, ...] = (-120.0, -120.0, -70.0, -70.0, -70.0, -120.0)  # peak, rms; M, S, I LUFS; dBTP
    next: tuple[str, float] = ("", -1.0)
    messages: int = 0

    def apply(self, message: OscMessage) -> None:
        self.messages += 1
        a, args = message.address, message.params
        if a == "/segue/beat" and len(args) == 2:
            self.bar, self.beat = int(args[0]), int(args[1])
        elif a == "/segue/state" and args:
            self.state = str(args[0])
        elif a == "/segue/meter" and len(args) == 6:
            self.meters = tuple(float(x) for x in args)
        elif a == "/segue/param" and len(args) == 2:
            self.params[str(args[0])] = float(args[1])
        elif a == "/segue/layer" and len(args) == 2:
            self.layers[str(args[0])] = float(args[1])
        elif a == "/segue/next" and len(args) == 2:
            self.next = (str(args[0]), float(args[1]))
        elif a == "/segue/status" and len(args) >= 4:
            self.state, self.bar, self.beat, self.bpm = str(args[0]), int(args[1]), int(args[2]), float(args[3])


def _bar(value: float, lo: float, hi: float, width: int = 24) -> Text:
    filled = int(round(width * min(1.0, max(0.0, (value - lo) / (hi - lo)))))
    return Text("█" * filled + "·" * (width - filled), style="green" if filled < width * 0.85 else "red")


def render(s: MonitorState) -> Group:
    beats = " ".join("●" if b == s.beat else "○" for b in range(1, 5))
    head = Text.assemble(("state ", "dim"), (s.state, "bold cyan"), ("   bar ", "dim"), (f"{s.bar}", "bold"),
                         ("   beat ", "dim"), beats, ("   ", ""), (f"{s.bpm:g} BPM" if s.bpm else "", "dim"))
    nxt = Text(f"next: {s.next[0]} in {s.next[1]:.2f} s" if s.next[0] else "next: nothing scheduled", style="yellow")
    params = Table(title="params", show_header=False, box=None)
    for name, value in sorted(s.params.items()):
        params.add_row(name, f"{value:.3f}", _bar(value, 0.0, 1.0))
    layers = Table(title="layer gains", show_header=False, box=None)
    for name, gain in sorted(s.layers.items()):
        if gain > 0.0005:
            layers.add_row(name, f"{gain:.2f}", _bar(gain, 0.0, 1.0, 16))
    peak, rms, m, st, i, tp = s.meters
    meters = Table(title="master", show_header=False, box=None)
    meters.add_row("peak", f"{peak:6.1f} dBFS", _bar(peak, -60, 0))
    meters.add_row("rms", f"{rms:6.1f} dBFS", _bar(rms, -60, 0))
    meters.add_row("momentary", f"{m:6.1f} LUFS", _bar(m, -60, 0))
    meters.add_row("short-term", f"{st:6.1f} LUFS", _bar(st, -60, 0))
    meters.add_row("integrated", f"{i:6.1f} LUFS", Text(""))
    meters.add_row("true peak", f"{tp:6.1f} dBTP", Text("over -1 dBTP" if tp > -1 else "", style="red"))
    return Group(Panel(Group(head, nxt), title="segue"), params, layers, meters)


class _Subscription:
    """A UDP socket subscribed to the engine's feedback, renewed every two seconds (the lease lasts ten), so the
    view survives an engine restart."""

    def __init__(self, host: str, port: int, refresh: float, stop: threading.Event) -> None:
        self.engine, self.stop = (host, port), stop
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1" if host.startswith("127.") else "0.0.0.0", 0))
        self.sock.settimeout(refresh)
        self.next_hello = 0.0

    def close(self) -> None:
        self.sock.close()

    def take(self, state: MonitorState, until: float | None) -> bool:
        """Apply the engine's next message to `state`: True once one is applied; False when time.monotonic()
        reaches `until` (if given) or `stop` is set."""
        while (until is None or time.monotonic() < until) and not self.stop.is_set():
            if time.monotonic() >= self.next_hello:
                for address in ("/segue/subscribe", "/segue/status"):
                    b = OscMessageBuilder(address)
                    b.add_arg(self.sock.getsockname()[1])
                    self.sock.sendto(b.build().dgram, self.engine)
                self.next_hello = time.monotonic() + 2.0
            try:
                state.apply(OscMessage(self.sock.recv(65536)))
                return True
            except socket.timeout:
                continue
            except Exception:  # a stray packet must not end the view
                continue
        return False


def watch(host: str, port: int, seconds: float | None = None, refresh: float = 0.1,
          answer_within: float = 5.0, stop: threading.Event | None = None) -> MonitorState:
    """Subscribe to the engine at host:port and show its state until Ctrl-C or `stop` (or for `seconds`).

    Nothing is drawn until the engine first answers; with no answer within `answer_within` seconds the state
    comes back with `messages == 0` (the caller says so)."""
    from rich.live import Live  # noqa: PLC0415 - only the live view needs it

    state = MonitorState()
    end = None if seconds is None else time.monotonic() + seconds
    first_by = time.monotonic() + answer_within
    subscription = _Subscription(host, port, refresh, stop or threading.Event())
    try:
        if not subscription.take(state, first_by if end is None else min(end, first_by)):
            return state
        with Live(render(state), refresh_per_second=10, transient=False) as live:
            while subscription.take(state, end):
                live.update(render(state))
    except KeyboardInterrupt:
        pass
    finally:
        subscription.close()
    return state

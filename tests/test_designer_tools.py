"""segue monitor (live view over OSC feedback) and segue render --plot, on a real engine."""
from __future__ import annotations

import socket
import subprocess
import sys

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from rich.console import Console

from engine.monitor import MonitorState, render
from engine.doors import NULL
from engine.session import Engine, EngineConfig

from audio import osc_packet, run_until, running, send, wait_for
from conftest import BAR, MACHINE, ROOT, write_machine


def test_the_monitor_follows_a_running_engine(tone_pack):
    path = write_machine(tone_pack.parent, MACHINE, "monitored.yaml")
    state = MonitorState()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        with Engine(path, EngineConfig(osc_port=0)) as engine:
            hello = OscMessageBuilder("/segue/subscribe")
            hello.add_arg(listener.getsockname()[1])
            send(engine.osc.address[1], hello.build().dgram, osc_packet("/segue/param/intensity", 0.5))
            wait_for(engine, 2)
            run_until(engine, BAR // 2)
            send(engine.osc.address[1], osc_packet("/segue/event/go"))
            wait_for(engine, 3)
            run_until(engine, BAR + BAR // 2)
            listener.settimeout(0.3)
            try:
                while True:
                    state.apply(OscMessage(listener.recv(65536)))
            except socket.timeout:
                pass
    assert state.state == "fight" and state.bar >= 1 and state.params["intensity"] == 0.5
    assert state.layers["fight.tone"] > 0.9 and state.meters[2] > -40
    console = Console(record=True, width=100)
    console.print(render(state))
    text = console.export_text()
    assert "state fight" in text and "intensity  0.500" in text and "LUFS" in text


def test_monitor_command_against_a_live_engine(tone_pack):
    path = write_machine(tone_pack.parent, MACHINE, "monitored_live.yaml")
    with Engine(path, EngineConfig(door=NULL, osc_port=0)) as engine, running(engine):
        send(engine.osc.address[1], osc_packet("/segue/event/go"))
        r = subprocess.run([sys.executable, "-m", "engine.cli", "monitor", "--port", str(engine.osc.address[1]),
                            "--seconds", "2.5"], capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "state fight" in r.stdout and "momentary" in r.stdout


def test_monitor_says_so_when_nothing_answers():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "engine.cli", "monitor", "--port", str(port), "--seconds", "0.5"],
                           capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert r.returncode == 1 and f"no answer from an engine at 127.0.0.1:{port}" in r.stderr


def test_render_plot_draws_a_timeline(tmp_path):
    out = tmp_path / "timeline.png"
    r = subprocess.run([sys.executable, "-m", "engine.cli", "render", str(ROOT / "statemachines" / "demo.yaml"),
                        "--telemetry", str(ROOT / "statemachines" / "demo.telemetry.yaml"), "--seconds", "20",
                        "--out", str(tmp_path / "r.wav"), "--plot", str(out)], capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"timeline: {out}" in r.stdout
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1080, 810)

"""`segue render --plot` draws what played: its lanes are checked as data (engine.plot.lanes), not as pixels."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from engine.score.loader import load_machine
from engine.plot import STEP, ParamInfo, Score, lanes

from conftest import ROOT

DEMO = ROOT / "statemachines" / "demo.yaml"
RATE = 48000


def at(series: tuple[np.ndarray, np.ndarray], seconds: float) -> float:
    times, values = series
    return float(values[int(round(seconds / STEP))])


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's play-through, rendered by the command (40 s: explore, combat, danger, the bridge, victory)."""
    out = tmp_path_factory.mktemp("plot") / "demo.wav"
    r = subprocess.run([sys.executable, "-m", "engine.cli", "render", str(DEMO), "--telemetry",
                        str(ROOT / "statemachines" / "demo.telemetry.yaml"), "--out", str(out), "--seconds", "40"],
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    machine = load_machine(DEMO)
    log = json.loads(out.with_suffix(".decisions.json").read_text())["entries"]
    return machine, lanes(log, 40.0, RATE, Score.of(machine))


def test_a_bridge_is_labelled_as_the_bridge_not_as_where_it_leads(demo):
    _, data = demo
    # boss defeated at 35.2 s: the bridge combat_outro plays on the next bar (36 s) for one bar, then victory
    bands = [(b.start, b.end, b.label, b.bridge) for b in data.states]
    assert (36.0, 38.0, "bridge combat_outro", True) in bands
    assert (38.0, 40.0, "victory", False) in bands
    assert not [b for b in data.states if b.label == "victory" and b.start < 38.0]
    assert [b.state for b in data.states if b.bridge] == ["victory"]  # drawn in the colour of where it leads


def test_a_param_is_drawn_from_0_s_at_its_default_and_glides_as_it_plays(demo):
    machine, data = demo
    defaults = {p.name: p.default for p in machine.params}
    times, values = data.params["health"]  # its first message comes at 18 s
    assert (times[0], values[0]) == (0.0, defaults["health"])
    assert np.interp(17.9, times, values) == defaults["health"]
    assert np.interp(18.2, times, values) == pytest.approx(0.6)  # smooth: 100ms
    times, values = data.params["intensity"]  # 0.2 at 0 s, then 0.7 at 3 s, gliding over 300 ms
    assert np.interp(3.15, times, values) == pytest.approx(0.45)
    assert np.interp(3.3, times, values) == pytest.approx(0.7)


def test_a_curve_driven_layer_is_drawn_at_the_gain_its_param_gives_it(demo):
    machine, data = demo
    bells = machine.states["explore"].layers["bells"].curve
    lead = machine.states["combat"].layers["lead"].curve
    # explore at intensity 0.2: the bells' curve keeps them at about -28 dB, not at the full 1.0 of their fade
    assert at(data.layers["explore.bells"], 1.0) == pytest.approx(bells.gain(0.2)) and bells.gain(0.2) < 0.05
    assert at(data.layers["explore.bells"], 5.0) == pytest.approx(bells.gain(0.7))
    # combat: the lead follows intensity (0.7, then 0.95 from 12.3 s); danger has no lead: its fade takes it out
    assert at(data.layers["combat.lead"], 10.0) == pytest.approx(lead.gain(0.7))
    assert at(data.layers["combat.lead"], 15.0) == pytest.approx(lead.gain(0.95))
    assert at(data.layers["combat.lead"], 25.0) == 0.0
    # a fixed layer is its fade's gain (-3 dB), and the bridge's own stem plays at full level
    assert at(data.layers["explore.bass"], 5.0) == pytest.approx(10 ** (-3 / 20), abs=1e-3)
    assert at(data.layers["combat_outro.fill"], 37.0) == pytest.approx(1.0)


def test_a_layer_its_curve_silences_is_drawn_at_zero_until_its_param_lifts_it():
    score = Score(params={"x": ParamInfo(default=0.0, lo=0.0, hi=1.0, smooth=0.0)}, segments={"calm": "loop"},
                  curves={("calm", "hiss"): ("x", lambda v: 0.0 if v < 0.5 else 0.5)})
    log = [
        {"action": "enter", "time": 0.0, "target": "calm", "via": None},
        {"action": "fade", "time": 0.0, "segment": "loop", "stem": "hiss", "start": 0.0, "target": 1.0,
         "samples": 240},
        {"action": "telemetry", "time": 2.0, "kind": "param", "name": "x", "value": 0.8},
    ]
    data = lanes(log, 4.0, RATE, score)
    assert at(data.layers["loop.hiss"], 1.0) == 0.0  # its fade is at 1.0, but it plays nothing
    assert at(data.layers["loop.hiss"], 3.0) == 0.5
    assert data.params["x"][0][0] == 0.0 and data.params["x"][1][0] == 0.0

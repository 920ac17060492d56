"""`segue render --plot`: a PNG timeline of a render: states, params, layer fades and loudness.

The lanes are built as data first (`lanes`), from the decision log and what the machine says about its params
and layers (`Score`); `plot` only draws them. Each lane shows what played: a bridge is a band of its own, a param
starts at its default from 0 s and glides as its `smooth` makes it, and a layer's gain is its fade times its
param curve (a curve-driven layer whose param keeps it silent is drawn at 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from engine.loudness import k_weighting, lufs  # noqa: E402

STEP = 0.01  # seconds between the points of the layer lane
MARKS = ("stinger", "automate", "reload")  # drawn as dotted lines on the state lane


@dataclass(frozen=True)
class ParamInfo:
    default: float
    lo: float
    hi: float
    smooth: float  # seconds a new value takes to arrive (a linear glide)


@dataclass(frozen=True)
class Score:
    """What the plot needs from a machine, as plain data: its params, each state's segment, and the layers a
    param curve drives ((state, stem) -> (param, gain of a param value))."""

    params: Mapping[str, ParamInfo]
    segments: Mapping[str, str]
    curves: Mapping[tuple[str, str], tuple[str, Callable[[float], float]]]

    @classmethod
    def of(cls, machine) -> Score:
        params = {p.name: ParamInfo(p.default, p.lo, p.hi, p.smooth) for p in machine.params}
        segments = {name: state.segment for name, state in machine.states.items()}
        curves = {(name, stem): (layer.curve.param, layer.curve.gain)
                  for name, state in machine.states.items() for stem, layer in state.layers.items() if layer.curve}
        return cls(params, segments, curves)


@dataclass(frozen=True)
class Band:
    """A stretch of the state lane: a state, or a bridge segment on the way to one."""

    start: float
    end: float
    label: str
    state: str  # the state it is, or the one the bridge leads to (the band's colour)
    bridge: bool = False


@dataclass(frozen=True)
class Lanes:
    duration: float
    states: list[Band]
    marks: list[float]
    params: dict[str, tuple[list[float], list[float]]]  # piecewise linear: times, values
    layers: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # "segment.stem": times, gains


def _bands(log: list[dict], duration: float) -> list[Band]:
    enters = [e for e in log if e["action"] == "enter"]
    bands = []
    for i, e in enumerate(enters):
        end = enters[i + 1]["time"] if i + 1 < len(enters) else duration
        if e.get("via"):
            bands.append(Band(e["time"], end, f"bridge {e['via']}", e["target"], bridge=True))
        else:
            bands.append(Band(e["time"], end, e["target"], e["target"]))
    return bands


def _param_series(log: list[dict], score: Score, duration: float) -> dict[str, tuple[list[float], list[float]]]:
    """Each param from 0 s at its default; every message sets a target, clamped to the range, which the value
    reaches in `smooth` seconds (a newer target takes over from wherever the glide is)."""
    series = {}
    for name, info in score.params.items():
        times, values = [0.0], [info.default]
        glide: tuple[float, float, float, float] | None = None  # (from time, from value, to time, to value)
        for e in log:
            if e["action"] != "telemetry" or e.get("kind") != "param" or e["name"] != name:
                continue
            t, target = e["time"], min(info.hi, max(info.lo, float(e["value"])))
            now = values[-1]
            if glide and t < glide[2]:  # a glide still on its way: cut it where it is
                t0, v0, t1, v1 = glide
                now = v0 + (v1 - v0) * (t - t0) / (t1 - t0)
                del times[-1], values[-1]
            glide = (t, now, t + info.smooth, target) if info.smooth > 0 and target != now else None
            times += [t, glide[2] if glide else t]
            values += [now, target]
        times.append(max(duration, times[-1]))
        values.append(values[-1])
        series[name] = (times, values)
    return series


def _layer_series(log: list[dict], score: Score, params: dict, rate: int,
                  duration: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each stem's gain: the fades the log holds (each from where the gain was to its target, linear over its
    length) times the level its state's param curve gives it while its segment plays (held when it stops)."""
    grid = np.arange(0.0, duration + STEP / 2, STEP)
    values = {name: np.interp(grid, t, v) for name, (t, v) in params.items()}
    enters = [e for e in log if e["action"] == "enter"]
    starts = np.array([e["time"] for e in enters])
    which = np.searchsorted(starts, grid, side="right") - 1  # the enter in effect at each point (-1: none yet)
    out = {}
    for segment, stem in dict.fromkeys((e["segment"], e["stem"]) for e in log if e["action"] == "fade"):
        fades = [e for e in log if e["action"] == "fade" and (e["segment"], e["stem"]) == (segment, stem)]
        at = np.array([e["time"] for e in fades])
        i = np.searchsorted(at, grid, side="right") - 1
        start = np.array([e["start"] for e in fades])[i.clip(0)]
        target = np.array([e["target"] for e in fades])[i.clip(0)]
        length = np.array([max(e["samples"], 1) / rate for e in fades])[i.clip(0)]
        fade = np.where(i < 0, 0.0, start + (target - start) * np.clip((grid - at[i.clip(0)]) / length, 0, 1))
        level = np.ones_like(grid)
        held = 1.0
        for k in range(len(enters) + 1):
            points = np.flatnonzero(which == k - 1)
            if not len(points):
                continue
            e = enters[k - 1] if k else None
            if e is not None and e.get("via"):  # a bridge plays its own stems at full level
                plays, curve = e["via"] == segment, None
            else:
                state = e["target"] if e else None
                plays, curve = score.segments.get(state) == segment, score.curves.get((state, stem))
            if plays and curve:
                param, gain = curve
                level[points] = [gain(x) for x in values[param][points]]
                held = level[points[-1]]
            elif plays:
                level[points] = held = 1.0
            else:  # another segment plays: this stem keeps the level it had (its fade takes it out)
                level[points] = held
        out[f"{segment}.{stem}"] = (grid, fade * level)
    return out


def lanes(log: list[dict], duration: float, rate: int, score: Score) -> Lanes:
    """The timeline as data: what `plot` draws."""
    params = _param_series(log, score, duration)
    return Lanes(duration, _bands(log, duration), [e["time"] for e in log if e["action"] in MARKS], params,
                 _layer_series(log, score, params, rate, duration))


def _loudness_curve(audio: np.ndarray, rate: int, seconds: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy.signal import lfilter  # noqa: PLC0415

    weighted = audio.astype(np.float64)
    for b, a in k_weighting(rate):
        weighted = lfilter(b, a, weighted, axis=0)
    power = np.concatenate([[0.0], np.cumsum((weighted ** 2).sum(axis=1))])
    size, hop = int(seconds * rate), rate // 10
    starts = np.arange(0, max(1, len(audio) - size), hop)
    values = [lufs((power[min(s + size, len(audio))] - power[s]) / size) for s in starts]
    return (starts + size) / rate, np.array(values)


def plot(log: list[dict], wav: Path, out: Path, title: str, score: Score) -> Path:
    audio, rate = soundfile.read(str(wav), always_2d=True)
    data = lanes(log, len(audio) / rate, rate, score)
    fig, axes = plt.subplots(4, 1, figsize=(12, 9), sharex=True, gridspec_kw={"height_ratios": [1, 2, 3, 2]})
    states, params, fades = axes[0], axes[1], axes[2]
    # states: a coloured band each, labelled; a bridge hatched, in the colour of where it leads
    colours = plt.get_cmap("tab10")
    names = list(dict.fromkeys(b.state for b in data.states))
    for band in data.states:
        c = colours(names.index(band.state) % 10)
        states.axvspan(band.start, band.end, color=c, alpha=0.2 if band.bridge else 0.35,
                       hatch="//" if band.bridge else None)
        states.text(band.start + 0.1, 0.2 if band.bridge else 0.6, band.label, va="center",  # a bridge's label low:
                    fontsize=7 if band.bridge else 8)  # its band is short, and the state's label follows right after
    for t in data.marks:
        states.axvline(t, color="k", lw=0.8, ls=":")
    states.set_yticks([])
    states.set_ylabel("state")
    for name, (t, v) in data.params.items():
        params.plot(t, v, label=name)
    params.set_ylabel("params")
    if data.params:
        params.legend(loc="upper right", fontsize=7)
    for name, (t, g) in data.layers.items():
        fades.plot(t, g, lw=1, label=name)
    fades.set_ylabel("layer gains")
    if data.layers:
        fades.legend(loc="upper right", fontsize=6, ncol=3)
    for seconds, label in ((0.4, "momentary"), (3.0, "short-term")):
        t, v = _loudness_curve(audio, rate, seconds)
        axes[3].plot(t, v, lw=1, label=label)
    axes[3].set_ylabel("LUFS")
    axes[3].set_ylim(-60, 0)
    axes[3].legend(loc="upper right", fontsize=7)
    axes[3].set_xlabel("seconds")
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out

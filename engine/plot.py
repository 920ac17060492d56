"""`segue render --plot`: a PNG timeline of a render: states, params, layer fades and loudness."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402

from engine.loudness import k_weighting, lufs  # noqa: E402


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


def plot(log: list[dict], wav: Path, out: Path, title: str) -> Path:
    audio, rate = soundfile.read(str(wav), always_2d=True)
    duration = len(audio) / rate
    fig, axes = plt.subplots(4, 1, figsize=(12, 9), sharex=True, gridspec_kw={"height_ratios": [1, 2, 3, 2]})
    states, params, fades = axes[0], axes[1], axes[2]
    # states: a coloured band each, labelled
    enters = [e for e in log if e["action"] == "enter"]
    colours = plt.get_cmap("tab10")
    names = list(dict.fromkeys(e["target"] for e in enters))
    for i, e in enumerate(enters):
        end = enters[i + 1]["time"] if i + 1 < len(enters) else duration
        c = colours(names.index(e["target"]) % 10)
        states.axvspan(e["time"], end, color=c, alpha=0.35)
        states.text(e["time"] + 0.1, 0.5, e["target"], va="center", fontsize=8)
    for e in log:
        if e["action"] in ("stinger", "automate", "reload"):
            states.axvline(e["time"], color="k", lw=0.8, ls=":")
    states.set_yticks([])
    states.set_ylabel("state")
    # params: the values telemetry set, held until the next
    series: dict[str, list[tuple[float, float]]] = {}
    for e in log:
        if e["action"] == "telemetry" and e["kind"] == "param":
            series.setdefault(e["name"], []).append((e["time"], e["value"]))
    for name, points in series.items():
        t, v = zip(*points)
        params.step(list(t) + [duration], list(v) + [v[-1]], where="post", label=name)
    params.set_ylabel("params")
    if series:
        params.legend(loc="upper right", fontsize=7)
    # layer fades: each stem's fade target, ramping over the fade's length
    for (segment, stem) in dict.fromkeys((e["segment"], e["stem"]) for e in log if e["action"] == "fade"):
        t, g = [0.0], [0.0]
        for e in log:
            if e["action"] == "fade" and (e["segment"], e["stem"]) == (segment, stem):
                t += [e["time"], e["time"] + e["samples"] / rate]
                g += [e["start"], e["target"]]
        t.append(duration)
        g.append(g[-1])
        fades.plot(t, g, lw=1, label=f"{segment}.{stem}")
    fades.set_ylabel("layer fades")
    fades.legend(loc="upper right", fontsize=6, ncol=3)
    # loudness
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

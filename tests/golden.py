"""The golden renders: the demo and the broadcast show, rendered through the CLI, reduced to a fingerprint.

The fingerprint keeps the whole decision log (every entry, exactly) and the audio as a sha256 of its samples plus
the RMS and peak of every 100 ms window, so a difference says where in the show it starts.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parent.parent
MACHINES = ROOT / "statemachines"
RENDERS = {
    "demo": ["demo.yaml", "--telemetry", "demo.telemetry.yaml"],
    "broadcast": ["broadcast.yaml", "--telemetry", "broadcast.telemetry.yaml",
                  "--sidechain", str(ROOT / "stems" / "demo" / "commentary.flac")],
}
WINDOW = 4800


def render(name: str, folder: Path) -> Path:
    machine, *rest = RENDERS[name]
    args = [str(MACHINES / machine)] + [str(MACHINES / a) if a.endswith(".yaml") else a for a in rest]
    out = folder / f"{name}.wav"
    subprocess.run([sys.executable, "-m", "engine", "render", *args, "--out", str(out)], check=True,
                   capture_output=True, timeout=300)
    return out


def fingerprint(name: str, folder: Path) -> dict:
    wav = render(name, folder)
    audio, rate = soundfile.read(str(wav), dtype="float32", always_2d=True)
    log = json.loads(wav.with_suffix(".decisions.json").read_text())
    windows = [audio[i:i + WINDOW].astype(np.float64) for i in range(0, len(audio), WINDOW)]
    return {"sample_rate": rate, "frames": len(audio), "sha256": hashlib.sha256(audio.tobytes()).hexdigest(),
            "rms": [round(float(np.sqrt(np.mean(w ** 2))), 9) for w in windows],
            "peak": [round(float(np.max(np.abs(w))), 9) for w in windows],
            "block": log["block"], "entries": log["entries"]}

"""Synthetic stem packs of N stereo stems, for scaling benchmarks."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

SR = 48000


def stereo_pack(folder: Path, stems: int, bars: int = 2) -> Path:
    """One looping segment with `stems` stereo stems, and a machine that plays them all."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = bars * 2 * SR
    rng = np.random.default_rng(stems)
    names = [f"s{i:02d}" for i in range(stems)]
    (folder / "all").mkdir(exist_ok=True)
    t = np.arange(frames) / SR
    for i, name in enumerate(names):
        freq = 110.0 * (1 + i % 12)
        left = 0.01 * np.sin(2 * np.pi * freq * t) + 0.002 * rng.standard_normal(frames)
        soundfile.write(str(folder / "all" / f"{name}.wav"), np.stack([left, left[::-1]], 1).astype(np.float32), SR,
                        subtype="FLOAT")
    lines = ["sample_rate: 48000", "tempo: 120", "meter: 4/4", "segments:", "  all:", f"    bars: {bars}",
             "    stems:"] + [f"      {n}: all/{n}.wav" for n in names]
    (folder / "pack.yaml").write_text("\n".join(lines) + "\n")
    machine = folder / "machine.yaml"
    machine.write_text("pack: .\nparams: {x: {range: [0, 1], default: 0.5}}\ninitial: play\n"
                       "states:\n  play:\n    segment: all\n    layers:\n"
                       + "".join(f"      {n}: {{param: x, curve: [[0, -inf], [1, 0]]}}\n" for n in names))
    return machine

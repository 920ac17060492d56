"""Writing WAV files that are complete (atomic rename) and reproducible (no wall-clock stamp)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import soundfile


def clear_peak_timestamp(wav: Path) -> None:
    """libsndfile stamps float WAVs with the wall-clock time (PEAK chunk); zero it so renders are bit-identical."""
    with open(wav, "r+b") as f:
        head = f.read(512)
        at = head.find(b"PEAK")
        if at >= 0 and len(head) >= at + 16:
            f.seek(at + 12)  # 'PEAK', chunk size, version, then the timestamp
            f.write(b"\x00\x00\x00\x00")


def partial_name(path: Path) -> Path:
    """The hidden name a file is written under until it is complete."""
    return path.with_name(f".{path.stem}.partial{path.suffix or '.wav'}")


def atomic(path: Path, write: Callable[[str], object]) -> None:
    """Write through a hidden partial file, renamed into place only when complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_name(path)
    try:
        write(str(partial))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


def write_wav(audio: np.ndarray, sample_rate: int, path: Path) -> None:
    """32-bit float WAV, atomic and reproducible."""
    def write(target: str) -> None:
        soundfile.write(target, audio, sample_rate, subtype="FLOAT", format="WAV")
        clear_peak_timestamp(Path(target))

    atomic(Path(path), write)

"""The header of an audio file (rate, channels, length), read without decoding the audio."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import soundfile


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int


def audio_info(path: Path) -> AudioInfo:
    """Raises whatever soundfile raises (several types) for a missing, unreadable or corrupt file."""
    info = soundfile.info(str(path))
    return AudioInfo(info.samplerate, info.channels, info.frames)

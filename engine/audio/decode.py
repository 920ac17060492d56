"""Opening a stem for streaming: a FLAC file through dr_flac (miniaudio), anything else through libsndfile
(soundfile). Decoding is most of what an audible streamed stem costs: dr_flac decodes FLAC in about half the CPU
of the libsndfile that soundfile ships (and below the system's, which scsynth uses), to the same samples (a test
compares them). Both release the GIL while they decode (cffi), so the audio callback never waits for them."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile
from miniaudio import ffi, lib

FLAC = "FLAC"  # soundfile's name for the format (StemFile.format)
FLOATS = ("FLOAT", "DOUBLE")  # soundfile's names for float samples, which can be NaN or infinite (integers cannot)


class FlacStem:
    """A FLAC file, decoded to float32 by dr_flac."""

    def __init__(self, path: Path):
        self._flac = lib.ma_dr_flac_open_file(os.fsencode(path), ffi.NULL)
        if self._flac == ffi.NULL:
            raise ValueError("dr_flac cannot open it as FLAC")
        self.channels = int(self._flac.channels)
        self._at = 0

    def tell(self) -> int:
        return self._at

    def seek(self, frame: int) -> None:
        if not lib.ma_dr_flac_seek_to_pcm_frame(self._flac, frame):
            raise ValueError(f"cannot seek to frame {frame}")
        self._at = frame

    def read(self, out: np.ndarray) -> int:
        """Fill `out` (frames x channels, float32, contiguous) from here; the frames read (fewer at the end)."""
        got = int(lib.ma_dr_flac_read_pcm_frames_f32(self._flac, len(out), ffi.cast("float *", ffi.from_buffer(out))))
        self._at += got
        return got

    def close(self) -> None:
        if self._flac != ffi.NULL:
            lib.ma_dr_flac_close(self._flac)
            self._flac = ffi.NULL


class SoundFileStem:
    """Any other format libsndfile reads (WAV, AIFF, Ogg...)."""

    def __init__(self, path: Path):
        self._file = soundfile.SoundFile(str(path))
        self.channels = self._file.channels

    def tell(self) -> int:
        return self._file.tell()

    def seek(self, frame: int) -> None:
        self._file.seek(frame)

    def read(self, out: np.ndarray) -> int:
        return len(self._file.read(len(out), dtype="float32", always_2d=True, out=out))

    def close(self) -> None:
        self._file.close()


Stem = FlacStem | SoundFileStem


def open_stem(path: Path, kind: str) -> Stem:
    """`kind`: soundfile's name for its format, from its header (`FLAC`, `WAV`...)."""
    return FlacStem(path) if kind == FLAC else SoundFileStem(path)


def damage(path: Path) -> str | None:
    """Decode the file from end to end, as the stem reader will: what would keep it from playing whole, or None.
    Streaming meets damage only where it plays (a FLAC frame that fails its check is skipped, and the file then
    ends early, told when it does), so this is the pre-show check (`segue validate --decode`)."""
    info = soundfile.info(str(path))
    rate, frames = info.samplerate, 0
    try:
        stem = open_stem(path, info.format)
    except Exception as exc:  # dr_flac and soundfile raise several types for a corrupt file
        return f"cannot be decoded ({exc})"
    buf = np.empty((2 ** 16, stem.channels), dtype=np.float32)
    try:
        while frames < info.frames:
            got = stem.read(buf)
            if info.subtype in FLOATS and not np.isfinite(buf[:got]).all():
                return f"holds NaN or infinite samples (from about {frames / rate:.2f} s); they would play as silence"
            frames += got
            if got < len(buf):
                break
    except Exception as exc:
        return f"fails to decode after {frames / rate:.2f} s ({exc})"
    finally:
        stem.close()
    if frames < info.frames:
        return (f"decodes to {frames / rate:.2f} s of the {info.frames / rate:.2f} s its header says (cut short or "
                "damaged; it would go silent there)")
    return None

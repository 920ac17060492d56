"""Stems are decoded for streaming by dr_flac (FLAC) or libsndfile (the rest): the same samples libsndfile gives,
read in chunks from anywhere, and a damaged file ends early instead of crashing (engine/audio/decode.py)."""
from __future__ import annotations

import numpy as np
import pytest
import soundfile

from engine.audio.decode import FlacStem, SoundFileStem, open_stem

RATE = 48000


def write(path, channels: int, subtype: str, seconds: float = 3.0) -> np.ndarray:
    bits = 15 if subtype == "PCM_16" else 23
    shape = (int(seconds * RATE), channels)
    x = np.round(np.random.default_rng(channels).uniform(-0.9, 0.9, shape) * 2 ** bits) / 2 ** bits
    soundfile.write(str(path), x, RATE, subtype=subtype)
    return soundfile.read(str(path), dtype="float32", always_2d=True)[0]


@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24"])
def test_flac_decodes_to_libsndfiles_samples_in_chunks_from_anywhere(tmp_path, channels, subtype):
    path = tmp_path / "stem.flac"
    want = write(path, channels, subtype)
    stem = open_stem(path, soundfile.info(str(path)).format)
    assert isinstance(stem, FlacStem) and stem.channels == channels
    for start, frames in ((0, 65536), (65536, 4096), (1000, 777), (70001, 9000), (len(want) - 500, 2000)):
        stem.seek(start)
        out = np.full((frames, channels), np.nan, dtype=np.float32)
        got = stem.read(out)
        assert got == min(frames, len(want) - start) and stem.tell() == start + got
        assert np.array_equal(out[:got], want[start:start + got])
    stem.close()
    stem.close()  # twice: harmless


def test_other_formats_go_through_libsndfile(tmp_path):
    path = tmp_path / "stem.wav"
    want = write(path, 2, "FLOAT")
    stem = open_stem(path, soundfile.info(str(path)).format)
    assert isinstance(stem, SoundFileStem)
    stem.seek(123)
    out = np.empty((1000, 2), dtype=np.float32)
    assert stem.read(out) == 1000 and np.array_equal(out, want[123:1123])
    stem.close()


def test_a_damaged_flac_file_ends_early_after_its_good_samples(tmp_path):
    """dr_flac skips a frame that fails its CRC and goes on with the next: the file then ends early, which the
    reader tells as a file cut short or corrupt (see stream.Reader._decode), and the stem goes silent."""
    path = tmp_path / "stem.flac"
    want = write(path, 2, "PCM_24", seconds=5.0)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 5000] = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    stem = FlacStem(path)
    out = np.empty((len(want), 2), dtype=np.float32)
    got = stem.read(out)
    assert 0 < got < len(want)
    wrong = np.flatnonzero((out[:got] != want[:got]).any(axis=1))
    assert len(wrong) and wrong[0] > len(want) // 3  # every sample before the damage is the file's


def test_a_file_that_is_not_flac_is_a_clear_error(tmp_path):
    path = tmp_path / "stem.flac"
    path.write_bytes(b"not audio at all" * 100)
    with pytest.raises(ValueError, match="cannot open it as FLAC"):
        FlacStem(path)

"""engine/outputs.py and engine/wavfile.py on their own: files written under hidden partial names, published
together or not at all, never over an input, and WAVs that are byte-for-byte reproducible.
(The same, as `segue render` meets a full disk or an output named like an input, is in test_render_outputs.py.)"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile

from engine.errors import SegueError
from engine.outputs import Outputs
from engine.wavfile import atomic, partial_name, write_wav

SR = 48000


def tone(frames: int) -> np.ndarray:
    return (0.25 * np.sin(np.arange(frames) / 10)).astype(np.float32)


def test_a_partial_name_is_hidden_beside_its_file():
    assert partial_name(Path("/r/out.wav")) == Path("/r/.out.partial.wav")
    assert partial_name(Path("log")) == Path(".log.partial.wav")  # no suffix: a WAV's


def test_an_output_that_is_an_input_under_another_name_is_refused(tmp_path):
    machine = tmp_path / "m.yaml"
    machine.write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "alias.yaml").symlink_to(machine)
    os.link(machine, tmp_path / "hard.yaml")
    for final in (machine, tmp_path / "sub" / ".." / "m.yaml", tmp_path / "alias.yaml", tmp_path / "hard.yaml"):
        with pytest.raises(SegueError, match="is one of the inputs of this render; it would be overwritten"):
            Outputs([final], [tmp_path / "other.yaml", machine])
    not_yet = tmp_path / "new" / "render.wav"  # the same name before either exists
    with pytest.raises(SegueError, match="is one of the inputs"):
        Outputs([not_yet], [tmp_path / "new" / ".." / "new" / "render.wav"])
    assert machine.read_text() == "x"


def test_a_folder_is_refused_and_a_missing_folder_is_made(tmp_path):
    with pytest.raises(SegueError, match=f"{tmp_path} is a folder; give a file name, e.g. {tmp_path / 'render.wav'}"):
        Outputs([tmp_path], [])
    Outputs([tmp_path / "a" / "b" / "render.wav"], [])
    assert (tmp_path / "a" / "b").is_dir()


def test_every_file_is_published_together_and_nothing_is_left_behind(tmp_path):
    finals = [tmp_path / "r.wav", tmp_path / "r.decisions.json"]
    out = Outputs(finals, [])
    soundfile.write(str(out.partial(finals[0])), tone(SR), SR, subtype="FLOAT")
    out.partial(finals[1]).write_text("[]")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".r.decisions.partial.json", ".r.partial.wav"]
    out.check_frames(finals[0], SR)
    out.publish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.decisions.json", "r.wav"]


def test_when_one_file_cannot_be_published_none_is(tmp_path):
    finals = [tmp_path / "r.wav", tmp_path / "r.decisions.json"]
    out = Outputs(finals, [])
    out.partial(finals[0]).write_bytes(b"complete")  # the second one was never written
    with pytest.raises(SegueError, match=f"cannot write {finals[1]}: No such file or directory"):
        out.publish()
    assert list(tmp_path.iterdir()) == []  # the first one, already in place, was taken back


def test_a_recording_shorter_than_the_render_is_found_out(tmp_path):
    final = tmp_path / "r.wav"
    out = Outputs([final], [])
    with pytest.raises(SegueError, match=f"cannot write {final}: the recording is unreadable"):
        out.check_frames(final, SR)
    soundfile.write(str(out.partial(final)), tone(SR // 2), SR, subtype="FLOAT")
    with pytest.raises(SegueError, match=r"0\.50 s of 1\.00 s reached the disk \(is it full"):
        out.check_frames(final, SR)
    out.discard()
    assert list(tmp_path.iterdir()) == []


def test_an_atomic_write_that_fails_leaves_neither_the_file_nor_its_partial(tmp_path):
    final = tmp_path / "deep" / "x.wav"

    def half_then_fail(target: str) -> None:
        open(target, "wb").write(b"half")
        raise KeyboardInterrupt  # even an interruption

    with pytest.raises(KeyboardInterrupt):
        atomic(final, half_then_fail)
    assert list(final.parent.iterdir()) == []


def test_a_float_wav_carries_no_wall_clock_stamp_so_renders_are_bit_identical(tmp_path):
    audio = np.stack([tone(4800), -tone(4800)], axis=1)
    write_wav(audio, SR, tmp_path / "a.wav")
    data = (tmp_path / "a.wav").read_bytes()
    peak = data.find(b"PEAK")
    assert peak > 0 and data[peak + 12:peak + 16] == b"\x00\x00\x00\x00"  # libsndfile puts time() here
    back, rate = soundfile.read(str(tmp_path / "a.wav"), dtype="float32")
    assert rate == SR and np.array_equal(back, audio)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]

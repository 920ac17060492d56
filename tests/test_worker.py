"""The generation worker on its own, with the real model in a real child process: a phrase comes back for a
request, a refused request leaves the process alone, a deadline miss is reported, a generator that dies while
idle is noticed, and a lost one is started again (live) or stays lost (offline).

(tests/test_generator_loss.py covers the same losses as a whole engine sees them; tests/test_generate.py the
first phrase and a loss while asked. Only the worker's public face is used here.)"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from engine.errors import SegueError
from engine.generate.model import DEFAULT_MODEL
from engine.generate.serve import Generator, phrase_asked
from engine.generate.synth import SoundingPhrase, Voicing, default_soundfont
from engine.machine.phrase import PhraseRequest
from engine.generate.worker import GenerationWorker, Lost

from pathlib import Path

from hostile_generator import KINDS
from test_generator_loss import gone
from waiting import wait_until

DEADLINE = 1.0
BASS = PhraseRequest("bass", "C minor", ("Cm", "Ab"), 2, register=(36, 60), seed=11)
VOICING = Voicing(33, 48000, 120.0, 4)  # Electric Bass (finger)


class Same:
    """Equal to a phrase with the same notes, provenance and samples (bit for bit)."""

    def __init__(self, phrase: SoundingPhrase):
        self.phrase = phrase

    def __eq__(self, other) -> bool:
        return isinstance(other, SoundingPhrase) and other.layer == self.phrase.layer and \
            other.loop == self.phrase.loop and np.array_equal(other.audio, self.phrase.audio)


@pytest.fixture(scope="module")
def expected() -> Same:
    """The phrase the model writes and the SoundFont plays for BASS in this process: the worker's must be the same."""
    return Same(Generator(DEFAULT_MODEL, default_soundfont()).answer(phrase_asked(BASS, VOICING)))


def ask(worker: GenerationWorker, tag: str, request: PhraseRequest = BASS, timeout: float = 30.0):
    """Submit one request and await its result (a phrase, the model's refusal, or Lost)."""
    assert worker.submit(tag, phrase_asked(request, VOICING))
    got = []
    wait_until(lambda: got.extend(worker.results()) or got, timeout, f"a result for request {tag!r}")
    [(answered, result)] = got
    assert answered == tag
    return result


def test_a_phrase_comes_back_and_a_request_the_model_refuses_leaves_the_process_alone(expected):
    worker = GenerationWorker(DEFAULT_MODEL, deadline=DEADLINE, restart=False)
    try:
        pid = worker.pid
        refused = ask(worker, "bad", PhraseRequest("bass", "H minor", ("Cm",), 1, register=(36, 60)))
        assert refused == "generation failed: 'H' is not a note name"
        assert ask(worker, "good") == expected
        assert worker.pid == pid and worker.losses == 0 and list(worker.notices) == []
    finally:
        worker.close()
    wait_until(lambda: gone(pid), 5, "the generation process ending once closed")


def test_a_missed_deadline_is_reported_the_process_killed_and_live_a_new_one_answers(expected):
    worker = GenerationWorker(DEFAULT_MODEL, deadline=DEADLINE, restart=True)
    try:
        stopped = worker.pid
        os.kill(stopped, signal.SIGSTOP)  # alive, but it will never answer
        asked = time.monotonic()
        lost = ask(worker, "late")
        waited = time.monotonic() - asked
        assert isinstance(lost, Lost) and lost.why == f"the generation process gave no answer in {DEADLINE:g} s " \
                                                      "(stopped or hung)"
        assert DEADLINE <= waited < DEADLINE + 0.75, waited  # found out at its deadline, not before, not much after
        assert gone(stopped) and worker.losses == 1  # killed and reaped, not left stopped
        assert list(worker.notices) == [f"generation: {lost.why}; restarting it in 1 s, the music plays on "
                                        "(generated layers keep their last phrase)"]
        wait_until(lambda: worker.restarts == 1, 30, "the restart of the lost generator")
        assert worker.pid not in (None, stopped)
        assert worker.notices[-1] == "generation: the generation process is back; generated layers follow again"
        assert ask(worker, "again") == expected
    finally:
        worker.close()


@pytest.mark.parametrize("live", [True, False])
def test_a_generator_killed_while_idle_is_noticed_before_anything_is_asked(live, expected):
    worker = GenerationWorker(DEFAULT_MODEL, deadline=DEADLINE, restart=live)
    try:
        first = worker.pid
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: worker.losses == 1, 5, "the worker noticing its generator ended")
        assert gone(first)
        why = "the generation process ended (exit code -9)"
        if live:
            assert worker.notices[0].startswith(f"generation: {why}; restarting it in 1 s")
            wait_until(lambda: worker.restarts == 1, 30, "the restart of the killed generator")
            assert ask(worker, "after") == expected and worker.pid not in (None, first)
        else:  # offline: it stays lost, and every later request is told why
            assert list(worker.notices) == [f"generation: {why}"]
            assert [ask(worker, "after"), ask(worker, "later")] == [Lost(why), Lost(why)]
            assert worker.pid is None and worker.restarts == 0
    finally:
        worker.close()


def test_a_model_that_cannot_be_used_stops_the_start_and_names_its_file(tmp_path):
    broken = tmp_path / "layers.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(SegueError, match=re.escape(str(broken))):
        GenerationWorker(broken)


@pytest.mark.parametrize("content", [None, b"RIFF\x10\0\0\0sfbkLIST", b"not a SoundFont at all"])
def test_a_soundfont_that_cannot_be_used_stops_the_start_and_names_its_file(tmp_path, content):
    font = tmp_path / "instruments.sf2"
    if content is not None:
        font.write_bytes(content)
    with pytest.raises(SegueError, match=f"^SoundFont {re.escape(str(font))}: "):
        GenerationWorker(DEFAULT_MODEL, font)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_generator_that_answers_what_is_not_the_phrase_asked_for_is_lost_not_played(kind, monkeypatch):
    """A phrase of 0 steps would never end the audio block's loop, a bar of 0 16ths divides by zero there: an
    answer is checked against what was asked before it reaches the mix, and one that is not it is a lost generator
    (killed, said once), not a phrase."""
    import engine.generate.link as link

    monkeypatch.setattr(link, "spawn", lambda module, *args, **popen: subprocess.Popen(
        [sys.executable, str(Path(__file__).parent / "hostile_generator.py"), kind], **popen))
    worker = GenerationWorker(DEFAULT_MODEL, deadline=5.0, restart=False)
    try:
        request = PhraseRequest("bass", "C minor", ("Cm",), 1, register=(36, 60))
        lost = ask(worker, "hostile", request)
        assert isinstance(lost, Lost) and lost.why.startswith(
            "the generation process answered something that is not a phrase"), lost
        assert worker.losses == 1 and worker.notices[0] == f"generation: {lost.why}"
    finally:
        worker.close()

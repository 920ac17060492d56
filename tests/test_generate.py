"""The shipped ONNX layer model, run for real: determinism, controls, musicality, held-out loss, faults."""
from __future__ import annotations

import hashlib
import json
import math
import os
import signal

import numpy as np
import pytest

from engine.errors import SegueError
from engine.generate.encoding import REST
from engine.generate.model import DEFAULT_MODEL, MODEL_DIR, LayerModel
from engine.machine.phrase import PhraseRequest
from engine.generate.quality import REGISTERS, musicality
from engine.generate.worker import GenerationWorker, Lost
from engine.score.packfile import load_pack

from conftest import ROOT



@pytest.fixture(scope="module")
def model():
    return LayerModel()


@pytest.fixture(scope="module")
def demo_pack():
    return load_pack(ROOT / "stems" / "demo")


def request(role="arpeggio", seed=7, **kw):
    kw.setdefault("chords", ("Cm", "Ab", "Eb", "G"))
    return PhraseRequest(role, kw.pop("key", "C minor"), register=kw.pop("register", REGISTERS[role]), seed=seed, **kw)


def test_same_seed_same_notes_other_seed_other_notes(model):
    a, b, c = model.generate(request()), model.generate(request()), model.generate(request(seed=8))
    assert a.notes == b.notes and len(a.notes) > 0
    assert a.notes != c.notes
    assert a.provenance["model_sha256"] == hashlib.sha256(DEFAULT_MODEL.read_bytes()).hexdigest()
    assert a.provenance["seed"] == 7 and a.provenance["chords"] == ["Cm", "Ab", "Eb", "G"]


@pytest.mark.parametrize("role", sorted(REGISTERS))
def test_every_note_stays_in_the_register(model, role):
    for register in ((40, 55), (70, 90)):
        for seed in range(5):
            layer = model.generate(request(role, seed, register=register, density=1.0))
            assert all(register[0] <= n.pitch <= register[1] for n in layer.notes)


@pytest.mark.parametrize("role", sorted(REGISTERS))
def test_notes_per_bar_rise_with_density(model, role):
    def per_bar(density):
        return np.mean([len(model.generate(request(role, s, density=density)).notes) / 4 for s in range(8)])

    low, mid, high = per_bar(0.0), per_bar(0.5), per_bar(1.0)
    assert low < mid < high
    assert high >= 1.4 * low


def demo_musicality(model, pack, role, **kw):
    progressions = [pack.segments[s].chords for s in ("explore", "combat")]
    m = musicality(model, pack.key, progressions, role, **kw)
    return m.in_key, m.chord_tones


@pytest.mark.parametrize("role", ["bass", "arpeggio", "counter"])
def test_layers_are_in_key_and_on_chord_tones_over_the_demo_chords(model, demo_pack, role):
    key_share, chord_share = demo_musicality(model, demo_pack, role)
    assert key_share >= 0.95 and chord_share >= 0.85, (key_share, chord_share)


@pytest.mark.parametrize("role", ["bass", "arpeggio", "counter"])
def test_the_model_does_the_work_without_the_push(model, demo_pack, role):
    key_share, chord_share = demo_musicality(model, demo_pack, role, chord_push=0.0, key_push=0.0)
    assert key_share >= 0.95 and chord_share >= 0.85, (key_share, chord_share)


def test_held_out_loss_matches_the_model_card_and_beats_the_ngram_baselines(model):
    metrics = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert metrics["sha256"] == model.sha256
    assert metrics["held_out_nll"] < metrics["trigram_nll"] < metrics["bigram_nll"]
    sample = np.load(MODEL_DIR / "held_out_sample.npz")
    nll, count = 0.0, 0
    for i in range(len(sample.files) // 2):
        tokens, conds = sample[f"t{i}"], sample[f"c{i}"]
        h = np.zeros(model._hidden_shape, dtype=np.float32)
        prev = REST
        for tok, cond in zip(tokens, conds):
            logits, h = model.step(prev, cond, h)
            logits = logits.astype(np.float64)
            nll += np.log(np.exp(logits - logits.max()).sum()) + logits.max() - logits[tok]
            count += 1
            prev = int(tok)
    measured = nll / count
    assert math.isfinite(measured)
    assert abs(measured - metrics["held_out_nll"]) < 0.2, (measured, metrics["held_out_nll"])
    assert measured < metrics["trigram_nll"]


def test_a_missing_or_corrupt_model_is_a_clear_error(tmp_path):
    with pytest.raises(SegueError, match="cannot read it"):
        LayerModel(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x01garbage" * 10)
    with pytest.raises(SegueError, match="not a usable ONNX model"):
        LayerModel(bad)


@pytest.mark.parametrize("bad, words", [
    (dict(role="drums"), "unknown role"),
    (dict(register=(60, 65)), "at least an octave"),
    (dict(chords=()), "at least one chord"),
])
def test_bad_requests_say_why(bad, words):
    kw = dict(role="bass", key="C minor", chords=("Cm",), register=(36, 60))
    kw.update(bad)
    with pytest.raises(SegueError, match=words):
        PhraseRequest(**kw)


def test_generation_runs_in_its_own_process_with_the_same_notes_and_its_loss_is_reported_not_raised():
    request = PhraseRequest("bass", "C minor", ("Cm", "Ab"), 2, seed=3)
    worker = GenerationWorker(DEFAULT_MODEL, restart=False)
    try:
        assert worker.pid != os.getpid()
        worker.submit("first", request)
        worker.wait_idle()
        [(tag, layer)] = worker.results()
        assert tag == "first" and layer == LayerModel(DEFAULT_MODEL).generate(request)  # as if in-process
        os.kill(worker.pid, signal.SIGKILL)
        worker.submit("second", request)
        worker.wait_idle()
        [(tag, failed)] = worker.results()
        assert tag == "second" and isinstance(failed, Lost) and "generation process" in failed.why
        assert list(worker.notices) == [f"generation: {failed.why}"] and worker.pid is None
    finally:
        worker.close()

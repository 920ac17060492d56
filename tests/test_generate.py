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
from engine.generate.serve import phrase_asked
from engine.generate.synth import Voicing
from engine.machine.phrase import PhraseRequest
from engine.generate.quality import REGISTERS, VOICES, musicality, voice_figures
from engine.generate.worker import GenerationWorker, Lost
from engine.score.packfile import load_pack

from conftest import ROOT

BROKEN = ROOT / "tests" / "broken"



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
    assert high >= 1.3 * low  # 0..1 spans the style's own lines, from their 10th to 90th percentile


def demo_musicality(model, pack, role, **kw):
    progressions = [pack.segments[s].chords for s in ("explore", "combat")]
    m = musicality(model, pack.key, progressions, role, seeds=50, **kw)
    return m.in_key, m.chord_tones


@pytest.mark.parametrize("role", ["bass", "arpeggio", "counter"])
def test_layers_are_in_key_and_on_chord_tones_over_the_demo_chords(model, demo_pack, role):
    key_share, chord_share = demo_musicality(model, demo_pack, role)
    assert key_share >= 0.95 and chord_share >= 0.85, (key_share, chord_share)


@pytest.mark.parametrize("role", ["bass", "arpeggio", "counter"])
def test_the_model_does_the_work_without_the_push(model, demo_pack, role):
    """On the demo's own chords, model alone. Issue #12's budget (chord tones on strong beats >= 85 %) is measured
    by benchmarks/test_generation_quality.py on progressions training never saw, where every role meets it; here
    the counter-melody's long 8-bar phrases land at 84.5 %, so this check allows 83 %."""
    key_share, chord_share = demo_musicality(model, demo_pack, role, chord_push=0.0, key_push=0.0)
    assert key_share >= 0.95 and chord_share >= 0.83, (key_share, chord_share)


def test_held_out_loss_matches_the_model_card_and_beats_the_ngram_baselines(model):
    metrics = json.loads((MODEL_DIR / "metrics.json").read_text())
    nll = metrics["held_out_nll"]
    assert metrics["sha256"] == model.sha256
    assert nll["model"] < nll["trigram, chord input"] < nll["trigram, tokens only"]
    assert all(row["model"] < row["trigram, chord input"] for row in metrics["by_role_and_style"])
    sample = np.load(MODEL_DIR / "held_out_sample.npz")
    total, count = 0.0, 0
    for i in range(len(sample.files) // 2):
        tokens, conds = sample[f"t{i}"], sample[f"c{i}"]
        h = np.zeros(model._hidden_shape, dtype=np.float32)
        prev = REST
        for tok, cond in zip(tokens, conds):
            logits, h = model.step(prev, cond, h)
            logits = logits.astype(np.float64)
            total += np.log(np.exp(logits - logits.max()).sum()) + logits.max() - logits[tok]
            count += 1
            prev = int(tok)
    measured = total / count
    assert math.isfinite(measured)
    assert abs(measured - nll["sample, model"]) < 1e-3, (measured, nll["sample, model"])  # the export is the model
    assert measured < nll["sample, trigram, chord input"]


def test_a_missing_or_corrupt_model_is_a_clear_error(tmp_path):
    with pytest.raises(SegueError, match="cannot read it"):
        LayerModel(tmp_path / "nope.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x01garbage" * 10)
    with pytest.raises(SegueError, match="not a usable ONNX model"):
        LayerModel(bad)
    older = BROKEN / "older_model.onnx"  # an earlier engine's conditioning: 98 inputs a step, not today's
    with pytest.raises(SegueError, match=r"older_model.onnx: made for another version of Segue .*\[1, 98\].*retrain"):
        LayerModel(older)


@pytest.mark.parametrize("bad, words", [
    (dict(role="drums"), "unknown role"),
    (dict(register=(60, 65)), "at least an octave"),
    (dict(chords=()), "at least one chord"),
    (dict(style="jazz"), "unknown style 'jazz' \\(styles: chorale, folk, fiddle\\)"),
    (dict(meter=(4, 3)), "meter 4/3"),
])
def test_bad_requests_say_why(bad, words):
    kw = dict(role="bass", key="C minor", chords=("Cm",), register=(36, 60))
    kw.update(bad)
    with pytest.raises(SegueError, match=words):
        PhraseRequest(**kw)


def test_generation_runs_in_its_own_process_with_the_same_notes_and_its_loss_is_reported_not_raised():
    request = PhraseRequest("bass", "C minor", ("Cm", "Ab"), 2, seed=3)
    asked = phrase_asked(request, Voicing(33, 48000, 120.0, 4))
    worker = GenerationWorker(DEFAULT_MODEL, restart=False)
    try:
        assert worker.pid != os.getpid()
        worker.submit("first", asked)
        worker.wait_idle()
        [(tag, phrase)] = worker.results()
        written = LayerModel(DEFAULT_MODEL).generate(request)  # as if in-process
        assert tag == "first" and phrase.layer.notes == written.notes
        assert phrase.layer.provenance.items() >= written.provenance.items()
        assert phrase.layer.provenance["instrument"] == "Electric Bass (finger)"
        os.kill(worker.pid, signal.SIGKILL)
        worker.submit("second", asked)
        worker.wait_idle()
        [(tag, failed)] = worker.results()
        assert tag == "second" and isinstance(failed, Lost) and "generation process" in failed.why
        assert list(worker.notices) == [f"generation: {failed.why}"] and worker.pid is None
    finally:
        worker.close()


CORPUS = json.loads((MODEL_DIR / "metrics.json").read_text())["corpus_lines"]


@pytest.mark.parametrize("voice", [f"{role}/{style}" for role, style in VOICES])
def test_on_progressions_it_never_saw_the_model_alone_keeps_the_mode_the_chords_and_the_corpus_motion(model, voice):
    """Issue #12's figures on 8 seeds, no push toward key or chord (benchmarks/test_generation_quality.py holds
    them to their budgets on 50: steps within 10 points there; here, on fewer phrases, within 12). The leaky model
    repeated the previous note 52-60 % of the time where Bach's lines repeat 6-19 %."""
    role, style = voice.split("/")
    figures = voice_figures(model, role, style, seeds=8)
    corpus = CORPUS[voice]
    assert figures["in_mode"] >= 0.95 and figures["chord_tones"] >= 0.85, figures
    assert abs(figures["repeated"] - corpus["repeated"]) <= 0.1, (figures, corpus)
    assert abs(figures["steps"] - corpus["steps"]) <= 0.12, (figures, corpus)


def test_styles_write_differently_over_the_same_chords(model):
    """A fiddle tune runs in eighths and 16ths, a chorale melody walks in quarters: asked for the same chords,
    meter, density and seeds, the fiddle style starts far more notes off the beat."""
    def off_beat(style: str) -> float:
        return voice_figures(model, "melody", style, seeds=4)["off_beat"]

    chorale, folk, fiddle = off_beat("chorale"), off_beat("folk"), off_beat("fiddle")
    assert chorale + 0.1 < folk + 0.05 < fiddle, (chorale, folk, fiddle)

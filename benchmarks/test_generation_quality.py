"""Issue #12's musical figures for the shipped model, alone (no push toward key or chord), on material its
training never saw (engine/generate/quality.py's EVALUATION: minor, major, ii-V-I with sevenths, dorian and
mixolydian vamps, 3/4, 6/8, 12/8, 2/4), 50 seeds a progression:

- in mode >= 95 %, chord tones on strong beats >= 85 %, the mode's characteristic note kept (>= 90 % of it
  against its altered form);
- repeated-note and step shares within 10 points of the corpus's own held-out lines for that role and style;
  off-beat onsets of melody and counter within 10 points;
- a simple classifier (logistic regression) fitted on the corpus names the style asked for >= 80 % of the time;
- density monotone in notes a bar; register: every note inside, < 5 % on its two edge notes, also far from the
  training registers (a melody asked for 72-96);
- phrases that grow from others (sampled as the engine samples): `continue: true` shares >= 3x the shapes of a fresh phrase with the one before
  and is not that phrase again (<= 5 %); an answer starts >= 15 points fewer notes with its call and shares >= 1.5x
  its intervals.
"""
from __future__ import annotations

import json

import pytest

from engine.generate.model import MODEL_DIR, LayerModel
from engine.generate.quality import evaluate, growth_figures

SEEDS = 50
POINTS = 0.10


@pytest.fixture(scope="module")
def figures():
    return evaluate(LayerModel(), json.loads((MODEL_DIR / "metrics.json").read_text()), SEEDS)


@pytest.fixture(scope="module")
def corpus():
    return json.loads((MODEL_DIR / "metrics.json").read_text())["corpus_lines"]


def test_in_mode_and_on_chord_tones(figures, budget_report):
    for name, f in figures["voices"].items():
        ok = f["in_mode"] >= 0.95 and f["chord_tones"] >= 0.85
        budget_report(None, f"{name}: in mode / chord tones on strong beats",
                      f"{f['in_mode']:.1%} / {f['chord_tones']:.1%} of {f['notes']} notes", ">= 95 % / >= 85 %", ok)
    assert all(f["in_mode"] >= 0.95 and f["chord_tones"] >= 0.85 for f in figures["voices"].values())


def test_the_modes_own_note_is_kept(figures, budget_report):
    kept = {(name, mode): share for name, f in figures["voices"].items() for mode, share in f["characteristic"].items()}
    worst = min(kept.values())
    budget_report(None, "mode's own note against its altered form (dorian 6th, mixolydian 7th)",
                  f"worst {worst:.1%} ({min(kept, key=kept.get)})", ">= 90 %", worst >= 0.9)
    assert worst >= 0.9


def test_lines_move_like_the_corpus(figures, corpus, budget_report):
    misses = []
    for name, f in figures["voices"].items():
        c = corpus[name]
        checked = ["repeated", "steps"] + (["off_beat"] if name.split("/")[0] in ("melody", "counter") else [])
        for what in checked:
            ok = abs(f[what] - c[what]) <= POINTS
            budget_report(None, f"{name}: {what}", f"{f[what]:.1%} vs corpus {c[what]:.1%}", "within 10 points", ok)
            if not ok:
                misses.append((name, what, f[what], c[what]))
    assert not misses


def test_styles_are_told_apart(figures, budget_report):
    ok = figures["style_accuracy"] >= 0.8
    budget_report(None, "style classifier on generated melodies", f"{figures['style_accuracy']:.1%} of "
                  f"{figures['style_phrases']}", ">= 80 %", ok)
    assert ok


def test_density_and_register(figures, budget_report):
    for role, per_bar in figures["density"].items():
        ok = all(a < b for a, b in zip(per_bar, per_bar[1:]))
        budget_report(None, f"{role}: notes a bar by density", " < ".join(f"{v:.2f}" for v in per_bar), "monotone", ok)
        assert ok
    edges = {name: f["edges"] for name, f in figures["voices"].items()} | {"melody at 72-96": figures["far_register"]["edges"]}
    worst = max(edges.values())
    budget_report(None, "notes on the register's two edge notes", f"worst {worst:.1%} ({max(edges, key=edges.get)})",
                  "< 5 %", worst < 0.05)
    assert worst < 0.05


@pytest.fixture(scope="module")
def growth():
    return growth_figures(LayerModel(), SEEDS)


def test_a_phrase_that_continues_develops_the_last_and_is_still_another(growth, budget_report):
    """`continue: true`: the 4-note shapes (three intervals and lengths) a phrase shares with the one before,
    against a phrase written afresh over the same bars; and how often it is the same phrase again."""
    ok = growth["developed"] >= max(3 * growth["fresh"], 0.15) and growth["same_again"] <= 0.05
    budget_report(None, "continue: shapes shared with the phrase before / the same phrase again",
                  f"{growth['developed']:.1%} (afresh {growth['fresh']:.1%}) / {growth['same_again']:.1%} of "
                  f"{growth['phrases']}", ">= 3x afresh and >= 15 % / <= 5 %", ok)
    assert ok


def test_an_answer_plays_in_the_calls_gaps_with_its_intervals(growth, budget_report):
    """`answers:`: a counter-melody's notes that start with the melody's, and its runs of three intervals the
    melody has, against a counter-melody written beside it afresh."""
    ok = growth["answer_onsets"] <= growth["free_onsets"] - 0.15 and \
        growth["answer_intervals"] >= 1.5 * growth["free_intervals"]
    budget_report(None, "answers: notes starting with the call's / the call's intervals",
                  f"{growth['answer_onsets']:.1%} (afresh {growth['free_onsets']:.1%}) / "
                  f"{growth['answer_intervals']:.1%} (afresh {growth['free_intervals']:.1%})",
                  "<= afresh - 15 points / >= 1.5x afresh", ok)
    assert ok

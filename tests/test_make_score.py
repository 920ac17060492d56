"""benchmarks/make_score.py makes what it claims (on a tiny score): 48 kHz stereo FLAC stems exactly a segment
long, each its own never-silent phrase, deterministic and reused from its folder; a pack and a machine the
loader accepts, where every state reaches several others on the next bar; and a mix the benchmarks' checker
(benchmarks/score_check.py) finds exact when the engine renders it, while it catches a stem one sample late."""
from __future__ import annotations

import importlib.util
import json
import sys

import numpy as np
import soundfile

from conftest import ROOT
from engine.machine.model import SyncKind
from engine.score.loader import load_machine
from engine.session import Engine
from engine.telemetry import Cue, Script


def _load(name: str):
    if name not in sys.modules:  # score_check imports make_score by name, as the benchmarks do
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


make_score = _load("make_score")
score_check = _load("score_check")
BARS = 2
MINUTES = BARS * make_score.BAR / make_score.SR / 60


def test_the_stems_are_what_the_score_says(tmp_path):
    score = make_score.make_score(MINUTES, 3, 2, folder=tmp_path / "s")
    assert score.bars == BARS and score.frames == BARS * 96000
    files = score.files()
    assert len(files) == 6 and len(set(files)) == 6
    audio = []
    for path in files:
        info = soundfile.info(str(path))
        assert (info.format, info.subtype, info.samplerate, info.channels, info.frames) == \
            ("FLAC", "PCM_24", 48000, 2, score.frames)
        data, _ = soundfile.read(str(path))
        windows = data[:, 0].reshape(-1, 480)  # 10 ms each: never silent, so a gap shows
        assert np.sqrt((windows[1:] ** 2).mean(axis=1)).min() > 0.005
        assert np.abs(data).max() < make_score.PEAK
        audio.append(data[:, 0])
    for i in range(len(audio)):  # each its own phrase: apart from its segment's others, not another's copy
        for j in range(i):
            c = abs(audio[i] @ audio[j]) / np.sqrt((audio[i] @ audio[i]) * (audio[j] @ audio[j]))
            assert c < (0.3 if files[i].parent == files[j].parent else 0.9), (files[i], files[j], c)


def test_deterministic_reused_and_the_same_stems_in_a_smaller_score(tmp_path):
    score = make_score.make_score(MINUTES, 3, 2, folder=tmp_path / "a")
    again = make_score.make_score(MINUTES, 3, 2, folder=tmp_path / "b")
    one = make_score.make_score(MINUTES, 1, 2, folder=tmp_path / "one")
    for s in range(2):
        first = soundfile.read(str(score.path(0, s)))[0]
        assert np.array_equal(first, soundfile.read(str(again.path(0, s)))[0])
        assert np.array_equal(first, soundfile.read(str(one.path(0, s)))[0])
    stamp = score.path(1, 1).stat().st_mtime_ns
    make_score.make_score(MINUTES, 3, 2, folder=tmp_path / "a")
    assert score.path(1, 1).stat().st_mtime_ns == stamp  # reused
    other = make_score.make_score(MINUTES, 3, 2, seed=5, folder=tmp_path / "a")  # other parameters: made again
    assert json.loads((tmp_path / "a" / "score.json").read_text())["seed"] == 5
    assert not np.array_equal(soundfile.read(str(other.path(0, 0)))[0], first)


def test_every_state_reaches_several_others_on_the_next_bar(tmp_path):
    score = make_score.make_score(MINUTES, 5, 1, folder=tmp_path / "s")
    machine = load_machine(score.machine)
    assert len(machine.pack.segments) == 5 and machine.pack.sample_rate == 48000
    exits: dict[str, set[str]] = {}
    for t in machine.transitions:
        assert t.sync.kind == SyncKind.BAR and t.source != t.target
        exits.setdefault(t.source, set()).add(t.target)
    assert set(exits) == set(machine.states)
    assert all(len(targets) == 4 for targets in exits.values())  # --exits 4; 5 segments allow 4
    assert {t for targets in exits.values() for t in targets} == set(machine.states)


def test_the_checker_finds_an_engine_render_exact_and_catches_a_late_stem(tmp_path):
    score = make_score.make_score(MINUTES, 3, 2, folder=tmp_path / "s")
    score_check.self_test(score)
    with Engine(score.machine) as engine:
        cues = tuple(Cue(at, engine.router.route(f"/segue/event/x{k}", [])) for at, k in ((1.0, 1), (5.0, 2)))
        report = engine.render(tmp_path / "out.wav", Script(10.0, cues))
        starts = score_check.starts_in(list(engine.log), score)
    assert [s.segment for s in starts] == [0, 1, 0]  # s00 -x1-> s01 -x2-> s00 (offsets 1, then 2 of 3)
    found = score_check.check(report.wav, 0, starts, score)
    assert found.checked == 3 and not found.problems, found

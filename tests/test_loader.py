"""The loader on the bundled demo, and on a corpus of broken machines, each with the exact place of its problem."""
import re
import shutil
from pathlib import Path

import pytest

from engine.errors import ValidationError
from engine.score.loader import load_machine
from engine.units import ZERO, Duration

from conftest import ROOT, write_machine

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))


def test_the_demo_machine_loads():
    m = load_machine(ROOT / "statemachines" / "demo.yaml")
    assert m.initial == "explore"
    assert set(m.states) == {"explore", "combat", "danger", "victory"}
    assert m.pack.tempo == 120 and m.pack.beats_per_bar == 4
    first = m.transitions[0]
    assert (first.source, first.target, first.sync.kind) == ("explore", "combat", "bar")
    assert first.fade.fade_out == Duration(1.0, "beats") and first.fade.curve == "equal_power"
    assert m.osc["/game/health"].target == "health"


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_machine_is_reported_at_the_right_place(path, tone_pack, tmp_path):
    copy = tone_pack.parent / path.name
    shutil.copy(path, copy)
    expectations = re.findall(r"^# expect: (?:(\d+):(\d+): )?(.*)$", path.read_text(), re.M)
    assert expectations, "each broken file states what it expects"
    with pytest.raises(ValidationError) as err:
        load_machine(copy)
    problems = err.value.problems
    for line, col, words in expectations:
        matches = [p for p in problems if words in p.message]
        assert matches, f"no problem says {words!r}; got {[str(p) for p in problems]}"
        if line:
            assert (matches[0].line, matches[0].column) == (int(line), int(col)), str(matches[0])
        assert matches[0].file == str(copy)


def test_every_problem_is_reported_not_just_the_first(tone_pack):
    path = write_machine(tone_pack.parent, """\
        pack: tones
        initial: nowhere
        states:
          calm: {segment: calm, layers: {zzz: 0 dB}}
        transitions: [{from: calm, to: fight, when: event go}]
        """, "many.yaml")
    with pytest.raises(ValidationError) as err:
        load_machine(path)
    text = str(err.value)
    assert "initial: no state named 'nowhere'" in text
    assert "no stem 'zzz'" in text
    assert "to: no state named 'fight'" in text


def test_a_missing_stem_file_names_the_file_and_its_line(tmp_path, tone_pack):
    pack = tmp_path / "pack"
    shutil.copytree(tone_pack, pack)
    (pack / "calm" / "b.wav").unlink()
    write_machine(tmp_path, (tone_pack.parent / "machine.yaml").read_text() if False else "pack: pack\n"
                  "initial: calm\nstates: {calm: {segment: calm}}\n", "m.yaml")
    with pytest.raises(ValidationError) as err:
        load_machine(tmp_path / "m.yaml")
    [problem] = err.value.problems
    assert problem.file.endswith("pack.yaml") and "calm/b.wav: file not found" in problem.message
    lines = (pack / "pack.yaml").read_text().splitlines()
    assert "b: calm/b.wav" in lines[problem.line - 1]


@pytest.mark.parametrize("path", ["../calm/a.wav", "/etc/passwd", "calm/../../x.wav"])
def test_stem_paths_stay_inside_the_pack(tmp_path, tone_pack, path):
    pack = tmp_path / "pack"
    shutil.copytree(tone_pack, pack)
    text = (pack / "pack.yaml").read_text().replace("a: calm/a.wav", f"a: '{path}'")
    (pack / "pack.yaml").write_text(text)
    write_machine(tmp_path, "pack: pack\ninitial: calm\nstates: {calm: {segment: calm}}\n", "m.yaml")
    with pytest.raises(ValidationError) as err:
        load_machine(tmp_path / "m.yaml")
    assert "points outside the pack folder" in str(err.value)


def test_a_corrupt_stem_file_is_reported(tmp_path, tone_pack):
    pack = tmp_path / "pack"
    shutil.copytree(tone_pack, pack)
    (pack / "fight" / "tone.wav").write_bytes(b"RIFF not really a wave file")
    write_machine(tmp_path, "pack: pack\ninitial: calm\nstates: {calm: {segment: calm}}\n", "m.yaml")
    with pytest.raises(ValidationError) as err:
        load_machine(tmp_path / "m.yaml")
    assert "fight/tone.wav: not a readable audio file" in str(err.value)


def test_names_and_osc_addresses_have_a_length_limit(tone_pack):
    long_state, long_address = "s" * 65, "/game/" + "x" * 130
    path = write_machine(tone_pack.parent, f"""\
        pack: tones
        initial: calm
        params: {{health: {{range: [0, 1]}}}}
        states:
          calm: {{segment: calm}}
          {long_state}: {{segment: calm}}
        osc:
          {long_address}: {{param: health}}
        """, "long.yaml")
    with pytest.raises(ValidationError) as err:
        load_machine(path)
    text = str(err.value)
    assert f"state name '{long_state}' must be letters, digits and _ (at most 64)" in text
    assert "long.yaml:6:3: state name" in text and "long.yaml:8:3: osc:" in text and "(at most 128 characters)" in text


def test_a_huge_file_is_refused_after_reading_no_more_than_the_limit(tmp_path):
    """A 400 MB file (sparse: it costs no disk) is refused; `validate` reads at most 2 MB of it, not all 400."""
    import subprocess
    import sys

    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(400 << 20)
    measure = ("import resource, subprocess, sys; r = subprocess.run([sys.executable, '-m', 'engine.cli', 'validate', "
               "sys.argv[1]], capture_output=True, text=True); "
               "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(r.stderr, end='')")
    r = subprocess.run([sys.executable, "-c", measure, str(big)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    head, stderr = r.stdout.split("\n", 1)
    code, peak_kb = map(int, head.split())
    assert code == 1 and stderr == f"{big}:1:1: file is larger than 2000000 bytes\n"
    assert peak_kb < 200 * 1024  # 442 MB when the whole file was read first


DEFAULTS_MACHINE = """\
    pack: tones
    events: [go, back, win]
    initial: calm
    defaults: {{sync: {sync}, fade: 1 beat, fade_curve: linear}}
    states:
      calm: {{segment: calm}}
      fight: {{segment: fight, then: calm}}
    transitions:
      - {{from: calm, to: fight, when: event go}}
      - {{from: fight, to: calm, when: event back, fade_out: 2 beats}}
      - {{from: any, to: fight, when: event win, sync: beat, fade: 1 bar, fade_curve: equal_power}}
"""


def test_defaults_apply_to_every_move_that_does_not_say_otherwise(tone_pack):
    m = load_machine(write_machine(tone_pack.parent, DEFAULTS_MACHINE.format(sync="2 bars"), "defaults.yaml"))
    beat, bar = Duration(1.0, "beats"), Duration(1.0, "bars")
    plain, half, own = m.transitions
    assert (str(plain.sync), plain.fade.fade_in, plain.fade.fade_out, plain.fade.curve) == ("2 bars", beat, beat,
                                                                                             "linear")
    assert (half.fade.fade_in, half.fade.fade_out) == (beat, Duration(2.0, "beats"))  # the other length: defaults'
    assert (str(own.sync), own.fade.fade_in, own.fade.fade_out, own.fade.curve) == ("beat", bar, bar, "equal_power")
    assert (str(m.default_sync), m.default_fade) == ("2 bars", plain.fade)  # forced moves and `then` use these


def test_without_defaults_a_move_waits_for_the_bar_with_no_fade(tone_pack):
    text = "\n".join(line for line in DEFAULTS_MACHINE.splitlines() if "defaults" not in line) + "\n"
    m = load_machine(write_machine(tone_pack.parent, text.format(), "no_defaults.yaml"))
    plain = m.transitions[0]
    assert (str(plain.sync), plain.fade.fade_in, plain.fade.fade_out, plain.fade.curve) == ("bar", ZERO, ZERO,
                                                                                             "equal_power")
    assert m.default_fade == plain.fade and str(m.default_sync) == "bar"

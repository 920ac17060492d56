"""Hot reload: a saved machine takes over on the next bar; a broken one is reported and the old one plays on."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from engine.errors import ValidationError
from engine.events import Telemetry
from engine.session import Engine, EngineConfig

from audio import amplitude, osc_packet, read, run_until, send, wait_for
from conftest import BAR, MACHINE, ROOT, TONES, write_machine
from waiting import Lines, printed_port, status, wait_until

BEAT = BAR // 4
A = TONES["calm"]["a"][0]


def test_a_saved_change_takes_over_on_the_next_bar(tone_pack):
    path = write_machine(tone_pack.parent, MACHINE, "live.yaml")
    with Engine(path) as engine:
        with engine.recording(tone_pack.parent / "live.wav"):
            run_until(engine, BAR // 2)
            path.write_text(MACHINE.replace("      a: 0 dB", "      a: -12 dB"))
            engine.reload()
            run_until(engine, 3 * BAR)
        log = list(engine.log)
    x = read(tone_pack.parent / "live.wav")[:, 0]
    [reload] = [e for e in log if e["action"] == "reload"]
    assert reload["sample"] == BAR
    fade = [e for e in log if e["action"] == "fade" and e["stem"] == "a" and e["sample"] == BAR][0]
    assert fade["target"] == pytest.approx(10 ** (-12 / 20)) and fade["samples"] == BEAT
    assert amplitude(x[BAR - 6000:BAR], A) == pytest.approx(0.2, abs=0.004)
    assert amplitude(x[BAR + BEAT + 1000:BAR + BEAT + 7000], A) == pytest.approx(0.2 * 10 ** (-12 / 20), abs=0.004)


def test_a_broken_save_is_reported_and_the_old_machine_keeps_playing(tone_pack):
    path = write_machine(tone_pack.parent, MACHINE, "broken_live.yaml")
    with Engine(path) as engine:
        run_until(engine, BAR // 2)
        path.write_text(MACHINE.replace("when: event go", "when: event gone"))
        with pytest.raises(ValidationError) as err:
            engine.reload()
        run_until(engine, 2 * BAR)
        log = list(engine.log)
    [problem] = err.value.problems
    line = path.read_text().splitlines().index(next(t for t in path.read_text().splitlines() if "gone" in t)) + 1
    assert "no event named 'gone'" in problem.message and problem.line == line
    assert not [e for e in log if e["action"] == "reload"]


def test_a_new_state_in_the_reload_can_be_reached_over_osc_after_the_bar(tone_pack):
    path = write_machine(tone_pack.parent, MACHINE, "grow.yaml")
    bigger = MACHINE.replace("  victory:\n", "  lull:\n    segment: calm\n    layers: {b: 0 dB}\n  victory:\n") + \
        "  - {from: any, to: lull, when: event calm_down, sync: beat}\n"
    with Engine(path, EngineConfig(osc_port=0)) as engine:
        run_until(engine, 1000)
        path.write_text(bigger)
        engine.reload()
        run_until(engine, BAR + 1000)
        send(engine.osc.address[1], osc_packet("/segue/state/lull"))
        wait_for(engine, 1)
        run_until(engine, 3 * BAR)
        enters = [(e["target"], e["sample"]) for e in engine.log if e["action"] == "enter"]
    assert enters[-1] == ("lull", BAR + BEAT)  # the new rule to it: sync beat


def test_run_watch_reloads_on_save_and_reports_a_broken_file(tone_pack, tmp_path):
    path = write_machine(tone_pack.parent, MACHINE, "watched.yaml")
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "run", str(path), "--audio", "null", "--osc-port",
                             "0", "--watch"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    stdout, stderr = Lines(proc.stdout), Lines(proc.stderr)
    try:
        stdout.expect("OSC on", 60)
        stdout.expect("segue: watching", 60)  # the watcher has its first look at the files
        path.write_text(MACHINE.replace("      a: 0 dB", "      a: -6 dB"))
        assert f"segue: reloaded {path}; it takes over on the next bar" in stdout.expect("reloaded", 10)
        broken = MACHINE.replace("sync: bar, fade_out", "sync: barr, fade_out")
        path.write_text(broken)
        line = next(i for i, t in enumerate(broken.splitlines(), 1) if "barr" in t)
        stderr.expect("not reloaded", 10)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    stderr = stderr.rest(10)
    assert proc.returncode == 0
    assert f"{path}:{line}:" in stderr and "'barr' is not a sync point" in stderr
    assert "not reloaded; the previous version keeps playing" in stderr


def test_a_stem_lost_mid_session_is_reported_on_reload_and_the_music_plays_on(tone_pack, tmp_path):
    import shutil  # noqa: PLC0415

    pack = tmp_path / "tones"
    shutil.copytree(tone_pack, pack)
    path = write_machine(tmp_path, MACHINE, "m.yaml")
    with Engine(path) as engine:
        with engine.recording(tmp_path / "out.wav"):
            run_until(engine, BAR // 2)
            (pack / "calm" / "a.wav").unlink()
            path.write_text(MACHINE.replace("      a: 0 dB", "      a: -6 dB"))
            with pytest.raises(ValidationError) as err:
                engine.reload()
            run_until(engine, 2 * BAR)
    assert "calm/a.wav: file not found" in str(err.value) and err.value.problems[0].file.endswith("pack.yaml")
    x = read(tmp_path / "out.wav")[:, 0]
    assert amplitude(x[BAR + 6000:BAR + 12000], A) == pytest.approx(0.2, abs=0.004)  # loaded audio plays on


DEEP = MACHINE.replace("when: event go, sync: bar", 'when: "' + "not " * 1000 + 'event go", sync: bar')


def test_run_watch_survives_files_the_parser_cannot_take_and_keeps_its_recording(tone_pack, tmp_path):
    """A 1,000-deep `not` chain and a pack path that loops (symlinks): each one line, the music and the
    recording (--audio offline --out) go on, and a good save is taken after them."""
    path = write_machine(tone_pack.parent, MACHINE, "hostile.yaml")
    loop = tone_pack.parent / "loop"
    loop.unlink(missing_ok=True)
    loop.symlink_to(loop)
    out = tmp_path / "kept.wav"
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "run", str(path), "--audio", "offline", "--out",
                             str(out), "--osc-port", "0", "--watch"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    said, complained = Lines(proc.stdout), Lines(proc.stderr)
    try:
        port = printed_port(said.expect("OSC on", 60))
        said.expect("segue: watching", 60)  # the watcher has its first look at the files
        for text, outcome in ((DEEP, complained), (MACHINE.replace("pack: tones", "pack: loop"), complained),
                              (MACHINE.replace("a: 0 dB", "a: -6 dB"), said)):
            path.write_text(text)  # each save is taken (or refused) before the next, not folded into it
            outcome.expect("reloaded", 10)
        wait_until(lambda: status(port)[1:3] >= [2, 2], 10, "more than a bar recorded",
                   poll=0.25)  # status requests: 10 a second at most
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    stdout, stderr = said.rest(10), complained.rest(10)
    deep_line = next(i for i, t in enumerate(DEEP.splitlines(), 1) if "not not" in t)
    assert proc.returncode == 0 and "Traceback" not in stderr
    assert f"{path}:{deep_line}:" in stderr and "condition nested too deeply" in stderr
    assert f"{path}:1:7: pack: '{loop}' cannot be resolved (a symbolic link that loops back on itself?)" in stderr
    assert stderr.count("not reloaded; the previous version keeps playing") == 2
    assert f"segue: reloaded {path}" in stdout and f"segue: recorded to {out}" in stdout
    assert len(read(out)) > BAR  # the recording is kept


def test_validate_says_one_line_per_file_the_parser_cannot_take(tone_pack):
    deep = write_machine(tone_pack.parent, DEEP, "deep.yaml")
    loop = tone_pack.parent / "loop.yaml"
    loop.unlink(missing_ok=True)
    loop.symlink_to(loop)
    r = subprocess.run([sys.executable, "-m", "engine.cli", "validate", str(deep), str(loop), "/dev/zero"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 3 and "condition nested too deeply" in lines[0]
    assert lines[1].startswith(f"{loop}:1:1: cannot read file: Too many levels of symbolic links")
    assert lines[2] == "/dev/zero:1:1: not a regular file (a device, pipe or socket cannot be a YAML document)"


def test_a_transition_queued_for_the_bar_where_a_reload_swaps_still_happens(tone_pack):
    path = write_machine(tone_pack.parent, MACHINE, "queued.yaml")
    with Engine(path) as engine:
        run_until(engine, BAR // 2)
        engine.queue.put(Telemetry("event", "go", source="/segue/event/go"))
        path.write_text(MACHINE.replace("      a: 0 dB", "      a: -6 dB"))
        engine.reload()
        run_until(engine, 2 * BAR)
        log = list(engine.log)
    assert [e["sample"] for e in log if e["action"] == "reload"] == [BAR]
    assert [(e["target"], e["sample"]) for e in log if e["action"] == "enter"][-1] == ("fight", BAR)


GLIDE = MACHINE.replace("intensity: {range: [0, 1], default: 0, smooth: 0ms}",
                        "intensity: {range: [0, 1], default: 0, smooth: 4s}\n  gone: {range: [0, 1]}")


def test_a_reload_keeps_params_gliding_and_drops_telemetry_for_a_param_it_removed(tone_pack, tmp_path):
    path = write_machine(tone_pack.parent, GLIDE, "glide.yaml")
    with Engine(path) as engine, engine.recording(tmp_path / "glide.wav"):
        bank = engine.params
        engine.queue.put(Telemetry("param", "intensity", 1.0, source="/segue/param/intensity"))
        run_until(engine, BAR // 2)
        path.write_text(GLIDE.replace("\n  gone: {range: [0, 1]}", ""))
        engine.reload()
        run_until(engine, BAR + BEAT)
        engine.queue.put(Telemetry("param", "gone", 0.5, source="/segue/param/gone", sample=BAR + BEAT))
        run_until(engine, 3 * BAR)
        after = engine.params.params["intensity"].value
        faults, notices = engine.outbox.fault_count, engine.outbox.take_notices()
    assert bank is engine.params and engine.params is engine.heartbeat.params  # one bank, the live one
    assert "gone" not in engine.params.params and after == pytest.approx(1.0)  # 4 s glide, reached at 6 s
    assert faults == 0 and notices == ["/segue/param/gone: dropped: the reloaded machine has no param 'gone'"]
    x = read(tmp_path / "glide.wav")[:, 0]
    b = TONES["calm"]["b"][0]
    levels = [amplitude(x[s:s + 4800], b) for s in (BAR + 2000, 2 * BAR, 3 * BAR - 4800)]
    assert levels[0] < levels[1] < levels[2]  # still rising after the swap at BAR, not frozen there


WITHOUT_HURT = MACHINE.replace("  hurt:\n    segment: fight\n    layers:\n      tone: -6 dB\n      pulse: 0 dB\n", "") \
    .replace('  - {from: fight, to: hurt, when: "health < 0.25", sync: beat, fade: 1 beat}\n', "") \
    .replace('  - {from: hurt, to: fight, when: "health > 0.5", sync: bar, fade: 1 beat}\n', "") \
    .replace("from: [fight, hurt]", "from: fight")


def test_a_state_change_taken_in_the_block_of_the_swap_for_a_state_the_reload_removed_is_dropped(tone_pack):
    """/segue/state/hurt lands in the very block where a reload without 'hurt' takes over: it is telemetry for
    what the reload removed, so it is dropped with one line, never carried out (that raised in a later block)."""
    path = write_machine(tone_pack.parent, MACHINE, "swap_block.yaml")
    with Engine(path) as engine:
        run_until(engine, BAR // 2)
        path.write_text(WITHOUT_HURT)
        engine.reload()
        engine.queue.put(Telemetry("state", "hurt", source="/segue/state/hurt", sample=BAR + 10))
        run_until(engine, 3 * BAR)
        faults, notices = list(engine.outbox.faults), engine.outbox.take_notices()
        log = list(engine.log)
    assert [e["sample"] for e in log if e["action"] == "reload"] == [BAR]
    assert faults == [] and notices == ["/segue/state/hurt: dropped: the reloaded machine has no state 'hurt'"]
    assert [e["target"] for e in log if e["action"] == "enter"] == ["calm"]

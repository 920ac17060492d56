"""A generation process that stops (SIGSTOP) or dies (SIGKILL): the engine finds out within a deadline, says so
once, and either fails the render cleanly (offline) or restarts the generator while the music plays on (live)."""
from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from engine.errors import SegueError
from engine.events import Telemetry
from engine.doors import NULL
from engine.session import Engine, EngineConfig

from audio import running
from conftest import BAR, write_machine
from waiting import wait_until

MACHINE = """\
pack: tones
initial: calm
states:
  calm:
    segment: calm
    generate:
      arp: {role: arpeggio, instrument: pluck, seed: 5, bars: 1, regenerate: every 1 bar}
"""
DEADLINE = 2.0


def gone(pid: int) -> bool:
    """Reaped: no process (not even a zombie) with this id any more."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "X"
    except (FileNotFoundError, ProcessLookupError):
        return True


def test_a_stopped_generator_fails_the_render_with_one_line_within_its_deadline(tone_pack, tmp_path):
    out = tmp_path / "stopped.wav"
    with Engine(write_machine(tone_pack.parent, MACHINE, "gen.yaml"), EngineConfig(generation_deadline=DEADLINE)) as engine:
        pid = engine.worker.pid
        os.kill(pid, signal.SIGSTOP)
        with pytest.raises(SegueError, match=r"render failed: generated layer 'calm.arp' at bar 2:1: the generation "
                                             r"process gave no answer in 2 s \(stopped or hung\); nothing was written"):
            engine.render(out, None, seconds=4 * BAR / 48000)
        ended_at, losses = engine.sample, engine.worker.losses
        assert gone(pid)  # killed and reaped, not left stopped
    assert losses == 1 and ended_at == BAR + engine.block  # one deadline, and the render ended in the phrase's block
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no WAV, no log, no partial


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP])
def test_live_a_lost_generator_is_reaped_reported_once_and_restarted_while_the_music_plays(tone_pack, how):
    path = write_machine(tone_pack.parent, MACHINE, "gen_live.yaml")
    with Engine(path, EngineConfig(door=NULL, generation_deadline=DEADLINE)) as engine, running(engine):
        worker = engine.worker
        wait_until(lambda: any(e["action"] == "layer" for e in engine.log), 30, "a first phrase")
        pid = worker.pid
        os.kill(pid, how)
        lost_at = engine.sample
        wait_until(lambda: worker.restarts == 1 and worker.pid not in (None, pid), 30, "the restart")
        assert gone(pid)
        restarted_at = engine.sample
        wait_until(lambda: any(e["action"] == "layer" and e["sample"] > restarted_at for e in engine.log), 30,
                   "a phrase from the new generator")
        engine.queue.put(Telemetry("event", "nothing"))  # the engine still takes telemetry
        notices = [n for n in engine.outbox.take_notices() if n.startswith("generation:")]
        faults = engine.outbox.fault_count
    assert restarted_at - lost_at > BAR // 2  # the blocks went on while the generator was lost
    assert faults == 0 and worker.losses == 1
    assert len(notices) == 2 and "restarting it in 1 s, the music plays on" in notices[0]
    assert notices[1] == "generation: the generation process is back; generated layers follow again"

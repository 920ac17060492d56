"""The generation scheduler on real parts: the runtime's GenerateLayer decisions become requests to the real worker
(the real model, in its own process), and phrases start on their bar, or a bar later when not ready in time."""
from __future__ import annotations

import pytest

from engine.generate.model import DEFAULT_MODEL
from engine.generate.scheduler import GenerationScheduler
from engine.generate.worker import GenerationWorker
from engine.heartbeat.intake import BlockTelemetry
from engine.heartbeat.outbox import Outbox
from engine.heartbeat.sink import DecisionLog, Sink
from engine.machine.decisions import GenerateLayer, StopLayer

from conftest import BAR, write_machine
from parts import BLOCK, audio
from test_generated_layers import ARP, MACHINE

VALUES = {"intensity": 0.9}


@pytest.fixture
def machine(tone_pack):
    return write_machine(tone_pack.parent, MACHINE.replace("{generate}\n", ARP), "scheduled.yaml")


def play(runtime, graph, server, scheduler, log, until: int) -> list:
    """Blocks from 0 to `until`, with the state forced to fight in the first; the decisions made."""
    sink, made = Sink(graph, runtime.sample_rate, [log, scheduler]), []
    for b0 in range(0, until, BLOCK):
        decisions = runtime.step(BlockTelemetry(force="fight" if b0 == 0 else None).input(b0, BLOCK, VALUES))
        sink.take(decisions, b0)
        made += decisions
        scheduler.start_due(b0)
        graph.mix.play_phrases(b0)
        server.process()
    return made


def test_offline_each_phrase_starts_on_its_bar(machine):
    worker = GenerationWorker(DEFAULT_MODEL, restart=False)
    try:
        with audio(machine) as (runtime, graph, server):
            log, outbox = DecisionLog(runtime.sample_rate), Outbox()
            scheduler = GenerationScheduler(worker, graph.mix, runtime, log, outbox, BLOCK, wait_for_generation=True)
            made = play(runtime, graph, server, scheduler, log, 3 * BAR)
            asked = [d.start for d in made if isinstance(d, GenerateLayer)]
            started = [e["sample"] for e in log if e["action"] == "layer"]
            assert asked and started == [s for s in asked if s < 3 * BAR] and all(s % BAR == 0 for s in started)
            assert graph.mix.phrase_players["fight.arp"].phrase is not None and outbox.fatal is None
            assert all(a[2] >= 3 * BAR for a in scheduler.awaiting)  # the next phrase, asked a bar ahead
    finally:
        worker.close()


def test_live_a_phrase_not_ready_on_its_bar_comes_in_a_bar_later_and_a_lock_or_a_stop_drops_it(machine):
    worker = GenerationWorker(DEFAULT_MODEL, restart=False)
    worker.close()  # nothing will ever answer: every phrase is late
    with audio(machine) as (runtime, graph, server):
        log = DecisionLog(runtime.sample_rate)
        scheduler = GenerationScheduler(worker, graph.mix, runtime, log, Outbox(), BLOCK)
        made = play(runtime, graph, server, scheduler, log, 2 * BAR + BLOCK)
        first = next(d for d in made if isinstance(d, GenerateLayer))
        late = next(e for e in log if e["action"] == "late")
        assert late["sample"] == first.start and late["why"].endswith(f"starts at sample {first.start + BAR}")
        # one phrase awaited, after the blocks played: late ones come in a bar later, again and again
        assert [(a[0], a[2] > 2 * BAR) for a in scheduler.awaiting] == [("fight.arp", True)]
        assert all(p.phrase is None for p in graph.mix.phrase_players.values())  # nothing plays that was not written
        scheduler.locked("arp")
        assert not scheduler.awaiting
        scheduler.decided(first, {})
        scheduler.decided(StopLayer(0, "1:1", "calm", "left", "fight.arp", BLOCK), {})
        assert not scheduler.awaiting

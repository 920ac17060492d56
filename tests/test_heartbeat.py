"""The heartbeat's loop and its sink and meters, on real parts: a runtime of the tone machine and its audio graph on
an offline pyo server, one block at a time."""
from __future__ import annotations

from engine.events import EventQueue, Telemetry
from engine.heartbeat import Heartbeat, Reload
from engine.heartbeat.intake import BlockTelemetry
from engine.heartbeat.meters import METER_EVERY, Meters
from engine.heartbeat.outbox import Outbox, Said
from engine.heartbeat.sink import DecisionLog, Sink
from engine.machine.decisions import EnterState, Reloaded, StartSegment
from engine.score.loader import load_machine
from engine.osc.routes import Router

from conftest import BAR, MACHINE, write_machine
from parts import BLOCK, Plans, audio


class Heard:
    """A listener that keeps what it hears."""

    def __init__(self):
        self.heard: list = []

    def decided(self, decision, entry) -> None:
        self.heard.append((decision, entry))


def test_the_graph_applies_the_decisions_then_every_listener_hears_each_in_order(tone_pack):
    with audio(write_machine(tone_pack.parent, name="sink.yaml")) as (runtime, graph, server):
        log, outbox, heard = DecisionLog(runtime.sample_rate), Outbox(), Heard()
        sink = Sink(graph, runtime.sample_rate, [log, outbox, heard])
        decisions = runtime.step(BlockTelemetry().input(0, BLOCK, {"intensity": 0.0, "health": 1.0}))
        sink.take(decisions, 0)
        for _ in range(4):
            server.process()
        assert [d for d, _ in heard.heard] == decisions and any(isinstance(d, StartSegment) for d in decisions)
        assert list(log) == [d.log(runtime.sample_rate) for d in decisions] == [e for _, e in heard.heard]
        [(said, entry)] = list(outbox.drain())
        assert said is Said.ANNOUNCEMENT and entry["action"] == "enter" and entry["target"] == "calm"
        assert graph.metering.peak_rms()[0] > 0.01  # the segment the decisions started is playing


def test_meters_report_every_100_ms_of_audio_and_read_the_master(tone_pack):
    with audio(write_machine(tone_pack.parent, name="meters.yaml")) as (runtime, graph, server):
        meters = Meters(graph, BLOCK, runtime.sample_rate, Outbox())
        first = runtime.step(BlockTelemetry().input(0, BLOCK, {"intensity": 0.0, "health": 1.0}))
        Sink(graph, runtime.sample_rate, []).take(first, 0)
        reports = []
        for b0 in range(0, BAR, BLOCK):
            if b0:
                graph.apply([], b0)  # every block, as the heartbeat does: streamed audio's next chunks start there
            server.process()
            reports.append(meters.read(b0 + BLOCK))
        assert sum(reports) == BAR // METER_EVERY
        assert 0.01 < meters.peak <= 1.0 and 0 < meters.rms < meters.peak and meters.true_peak >= meters.peak
        assert -40 < meters.lufs_m < 0 and -40 < meters.lufs_i < 0 and meters.non_finite == {}


def test_a_reload_takes_over_on_the_bar_with_its_routes_and_params(tone_pack):
    path = write_machine(tone_pack.parent, name="loop.yaml")
    with audio(path) as (runtime, graph, server):
        queue, plans = EventQueue(), Plans()
        heartbeat = Heartbeat(runtime, graph, [queue], BLOCK, Router(runtime.machine), residency=plans)
        server.setCallback(heartbeat.tick)
        for _ in range(BAR // 2 // BLOCK):
            server.process()
        bigger = load_machine(write_machine(tone_pack.parent, MACHINE.replace(
            "  health:", "  tempo: {range: [0, 1], default: 0.5}\n  health:"), "loop2.yaml"))
        router = Router(bigger)
        heartbeat.request_swap(Reload(bigger, router, router.targets()))
        bank = heartbeat.params
        while heartbeat.sample <= BAR:
            server.process()
        [reloaded] = [e for e in heartbeat.log if e["action"] == Reloaded.action]
        assert reloaded["sample"] == BAR and heartbeat.router is router
        assert heartbeat.params is bank and bank.params["tempo"].value == 0.5  # retuned in place
        assert [p.sample for p in plans.plans] == [0, BAR - BAR % BLOCK + BLOCK]  # planned again on the swap
        queue.put(Telemetry("event", "go", source="/segue/event/go"))
        while heartbeat.sample <= 2 * BAR:
            server.process()
        assert [e["target"] for e in heartbeat.log if e["action"] == EnterState.action] == ["calm", "fight"]


def test_the_residency_gets_the_first_plan_before_any_block_then_one_per_change(tone_pack):
    with audio(write_machine(tone_pack.parent, name="plans.yaml")) as (runtime, graph, server):
        queue, plans = EventQueue(), Plans()
        heartbeat = Heartbeat(runtime, graph, [queue], BLOCK, Router(runtime.machine), residency=plans)
        assert [p.sample for p in plans.plans] == [0] and heartbeat.plan is plans.plans[0]
        assert plans.plans[0].segments() == {"calm", "fight", "end"}  # calm, and all it can start
        server.setCallback(heartbeat.tick)
        for _ in range(BAR // 2 // BLOCK):
            server.process()
        assert len(plans.plans) == 1  # nothing changed
        queue.put(Telemetry("event", "go", source="/segue/event/go"))
        server.process()  # scheduled: fight on the bar
        while heartbeat.sample <= BAR:
            server.process()
        scheduled, entered = plans.plans[1:]
        assert runtime.state == "fight" and scheduled.sample < BAR < entered.sample <= BAR + BLOCK
        assert entered.windows[0].segment == "fight" and heartbeat.plan is entered


def test_a_part_that_fails_is_a_fault_told_once_and_the_blocks_go_on(tone_pack):
    with audio(write_machine(tone_pack.parent, name="fault.yaml")) as (runtime, graph, server):
        heartbeat = Heartbeat(runtime, graph, [EventQueue()], BLOCK, Router(runtime.machine), residency=Plans())

        class Broken:
            def decided(self, decision, entry):
                raise RuntimeError("a listener broke")

        heartbeat.sink.listeners += (Broken(),)
        server.setCallback(heartbeat.tick)
        for _ in range(4):
            server.process()
        faults = heartbeat.outbox.take_faults()
        assert heartbeat.sample == 4 * BLOCK and len(faults) == 1 and "a listener broke" in faults[0]
        assert heartbeat.health_report()["blocks"] == 4 and heartbeat.outbox.fault_count == 1


def test_the_outbox_says_everything_once_announcements_then_faults_then_notices():
    from collections import deque  # noqa: PLC0415

    outbox, worker_notices = Outbox(), deque(maxlen=32)
    outbox.also(worker_notices)  # another part's own notices, drained with the outbox's
    outbox.notice("dropped")
    worker_notices.append("generation: lost")
    outbox.fault("a fault")
    outbox.decided(EnterState(0, "1:1", "calm", "initial state", None, "calm", None), {"target": "calm"})
    outbox.fail("first")
    outbox.fail("second")
    assert list(outbox.drain()) == [(Said.ANNOUNCEMENT, {"target": "calm"}), (Said.FAULT, "a fault"),
                                    (Said.NOTICE, "dropped"), (Said.NOTICE, "generation: lost")]
    assert list(outbox.drain()) == [] and outbox.fault_count == 1 and outbox.fatal == "first"

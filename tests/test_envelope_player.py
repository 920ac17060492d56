"""The one audio-side envelope player: a fades.Envelope played from its exact sample, as the runtime values it."""
import numpy as np
import pytest

from engine.audio.backend import boot_manual, pyo
from engine.audio.envelope import EnvelopePlayer
from engine.fades import Envelope, FadeCurve

BLOCK, RATE = 256, 48000


def record(idle: float, envelope: Envelope, blocks: int) -> np.ndarray:
    """The player's output over `blocks` blocks from sample 0, `envelope` played in the block of its start."""
    server = boot_manual(RATE, BLOCK)
    try:
        p = pyo()
        player = EnvelopePlayer(p, RATE, BLOCK, idle)
        table = p.NewTable(length=blocks * BLOCK / RATE, chnls=1)
        recorder = p.TableRec(player.out, table).play()
        server.start()
        values = []
        for b0 in range(0, blocks * BLOCK, BLOCK):
            if b0 <= envelope.start < b0 + BLOCK:
                player.play(envelope.start - b0, envelope)
            server.process()
            values.append(player.value())
        out = np.array(table.getBuffer(0), dtype=np.float64)[:blocks * BLOCK]
        recorder.stop()
        assert values[-1] == pytest.approx(out[-1], abs=1e-6)  # value(): where the gain is after the last block
        del recorder, table, player  # pyo objects go before their server does
        return out
    finally:
        server.stop()
        server.shutdown()


@pytest.mark.parametrize("idle", [0.0, 1.0])  # a stem's fade rests silent, the master and the ducks at unity
@pytest.mark.parametrize("envelope", [Envelope.of(300, ((0, 0.25), (100, 0.75), (400, 0.5))),
                                      Envelope.fade(517, 0.1, 0.9, 480, FadeCurve.EQUAL_POWER)])
def test_an_envelope_plays_from_its_exact_sample_and_rests_at_idle_before_it(idle, envelope):
    """Within a sample's step or two of the runtime's value: pyo's TrigLinseg steps once on its trigger's own
    sample (the audio leads the envelope by a sample) and turns each breakpoint a sample late (it runs a step past
    it), as the golden renders hold, to the bit."""
    out = record(idle, envelope, 6)
    start = envelope.start
    assert np.all(out[:start] == idle)
    expected = np.array([envelope.at(s + 1) for s in range(start, len(out))])
    step = max(abs(g1 - g0) / (t1 - t0) for (t0, g0), (t1, g1) in zip(envelope.points, envelope.points[1:]))
    assert np.max(np.abs(out[start:] - expected)) <= 2 * step + 1e-5
    assert out[-1] == pytest.approx(envelope.points[-1][1], abs=1e-6)  # the last point's gain, held

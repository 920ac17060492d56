"""The trigger every sample-accurate start and fade rests on, checked at every offset of a block."""
import numpy as np

from engine.audio.backend import boot_manual, pyo
from engine.audio.trigger import Trigger

BLOCK = 256


def test_a_trigger_fires_on_exactly_the_sample_asked_for_at_every_offset():
    server = boot_manual(48000, BLOCK)
    try:
        p = pyo()
        trigger = Trigger(p, 48000, BLOCK)
        table = p.NewTable(length=BLOCK / 48000, chnls=1)
        recorder = p.TableRec(trigger.out, table)
        server.start()
        wrong = []
        for k in range(BLOCK):
            recorder.play()
            trigger.fire(k)
            server.process()
            hits = np.flatnonzero(np.asarray(table.getBuffer(0)))
            if hits.tolist() != [k]:
                wrong.append((k, hits.tolist()))
            recorder.stop()
            np.asarray(table.getBuffer(0))[:] = 0
            server.process()
        assert wrong == []
    finally:
        server.stop()
        server.shutdown()

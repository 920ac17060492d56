"""Generated layers on the audio clock: each GenerateLayer decision becomes a request to the generation worker (the
phrase's notes, played on the layer's instrument at the pack's tempo and rate); a phrase that is ready when its
bar comes starts on that bar, one that is not comes in a bar later (live) or is waited for (offline, each with its
deadline, so renders are deterministic). Runs in the audio block."""
from __future__ import annotations
from engine.generate.serve import phrase_asked, replay_asked
from engine.generate.synth import Voicing
from engine.generate.worker import GenerationWorker, Lost
from engine.machine.decisions import Decision, GenerateLayer, RevoiceLayer, StopLayer


class GenerationScheduler:
    def __init__(self, worker: GenerationWorker, mix, runtime, log, outbox, block: int,
                 wait_for_generation: bool = False):
        """`mix`: the audio graph's mix, which makes a phrase ready (prepare_phrase, on the worker's thread) and
        plays it (start_layer); `runtime` is the machine playing (clock, bar, state, position); `log` takes this
        part's lines; `outbox.fail` ends an offline run whose phrase was lost."""
        self.worker, self.mix, self.runtime, self.log, self.outbox = worker, mix, runtime, log, outbox
        worker.prepare = mix.prepare_phrase
        self.block, self.sample_rate = block, runtime.sample_rate
        self.wait_for_generation = wait_for_generation
        self._awaiting: list[tuple[str, tuple, int]] = []  # (layer, request tag, start sample), by start
        self._ready: dict[tuple, object] = {}
        self._replays = 0  # replays asked for: each its own tag

    @property
    def awaiting(self) -> list[tuple[str, tuple, int]]:
        return list(self._awaiting)

    def decided(self, d: Decision, entry: dict) -> None:
        """A sink listener: a phrase asked for, a layer's phrase to play on another instrument (from its next
        repeat), or a layer stopped (what it still awaited is dropped)."""
        if isinstance(d, GenerateLayer):
            asked = phrase_asked(d.request, self._voicing(d.program))
            asked["line"] = {"layer": d.layer, "start": d.start, "continues": d.continues, "answers": d.answers}
            self._ask(d.layer, (d.layer, d.variation, d.start), asked, d.start)
        elif isinstance(d, RevoiceLayer):  # what plays from its next repeat; what is asked for, when it starts
            self.worker.programs[d.layer] = d.program  # the one table of them: what is asked next uses it too
            wanted = {tag: start for _, tag, start in self._awaiting}
            for tag in [t for t in self._ready if t[0] == d.layer]:  # written, not started: played again
                self._keep(tag, self._ready.pop(tag), wanted)
            player = self.mix.phrase_players[d.layer]
            start = player.next_start
            if player.phrase is not None and start is not None and \
                    not any(a[0] == d.layer and a[2] <= start for a in self._awaiting):  # else that one, revoiced
                self._replay(d.layer, player.phrase.layer, start)
        elif isinstance(d, StopLayer):
            self._prune(lambda layer: layer == d.layer)

    def _voicing(self, program: int) -> Voicing:
        clock = self.runtime.clock
        return Voicing(program, clock.sample_rate, clock.bpm, clock.beats_per_bar)

    def _ask(self, layer: str, tag: tuple, asked: dict, start: int) -> None:
        if self.worker.submit(tag, asked):
            self._awaiting.append((layer, tag, start))
            self._awaiting.sort(key=lambda a: a[2])

    def _replay(self, layer: str, notes, start: int) -> None:
        """The notes again, on the layer's instrument now, from `start`."""
        self._replays += 1
        asked = replay_asked(notes, self._voicing(self.worker.programs[layer]))
        self._ask(layer, (layer, "revoiced", start, self._replays), asked, start)

    def locked(self, name: str) -> None:
        """A layer `name` (of any state) was locked: keep what plays now, drop phrases not started yet."""
        self._prune(lambda layer: layer.split(".", 1)[1] == name)

    def _prune(self, dropped) -> None:
        """Forget the phrases awaited for the layers `dropped` says, and give back the tables of those ready."""
        for layer, tag, _ in [a for a in self._awaiting if dropped(a[0])]:
            self._release(tag, self._ready.pop(tag, None))
        self._awaiting = [a for a in self._awaiting if not dropped(a[0])]

    def _release(self, tag: tuple, result) -> None:
        """A phrase that will not play: its table goes back to the worker's thread to be freed, not freed here."""
        if result is not None and not isinstance(result, (str, Lost)):
            self.mix.phrase_players[tag[0]].spent.append(result.table)

    def start_due(self, b0: int) -> None:
        """Take what the worker wrote, and start the phrases due in the block from `b0`."""
        end = b0 + self.block
        due = bool(self._awaiting) and self._awaiting[0][2] < end
        if due and self.wait_for_generation:
            self.worker.wait_idle()
        while self._collect() and due and self.wait_for_generation:  # offline, a replay is waited for too
            self.worker.wait_idle()
        while self._awaiting and self._awaiting[0][2] < end:
            layer, tag, start = self._awaiting.pop(0)
            result = self._ready.pop(tag, None)
            if result is None:  # not written yet: never wait in real time, come in on the next bar instead
                later = start + self.runtime.bar
                if not any(a[0] == layer and a[2] <= later for a in self._awaiting):
                    self._awaiting.append((layer, tag, later))
                    self._awaiting.sort(key=lambda a: a[2])
                self._note(start, "late", layer, f"generation not ready; starts at sample {later}")
                continue
            if isinstance(result, Lost) and self.wait_for_generation:
                self.outbox.fail(f"generated layer '{layer}' at bar {self.runtime.position(start)}: {result.why}")
            if isinstance(result, (str, Lost)):
                self._note(start, "generate_failed", layer, result if isinstance(result, str) else result.why)
                continue
            self.mix.start_layer(layer, result, start)
            notes = result.layer
            self.log.append({"sample": start, "time": round(start / self.sample_rate, 6), "action": "layer",
                             "position": self.runtime.position(start), "state": self.runtime.state,
                             "layer": layer, "notes": [[n.step, n.length, n.pitch] for n in notes.notes],
                             "provenance": notes.provenance,
                             "why": "the phrase again, on a new instrument" if tag[1] == "revoiced" else
                             "generated phrase starts"})

    def _collect(self) -> bool:
        """Keep the results awaited (the rest give their tables back). One asked for before a reload changed its
        layer's instrument is asked for again, its notes on the new one: returns whether any was."""
        results = self.worker.results()
        if not results:  # most blocks
            return False
        wanted = {tag: start for _, tag, start in self._awaiting}
        asked_again = False
        for tag, result in results:
            asked_again |= not self._keep(tag, result, wanted)
        return asked_again

    def _keep(self, tag: tuple, result, wanted: dict) -> bool:
        """Keep a result awaited (`wanted`: tag -> start) as ready; give back the table of one no longer awaited;
        ask for one on an instrument a reload has since changed again, on the new one. False if asked again."""
        if tag not in wanted:
            self._release(tag, result)
            return True
        program = self.worker.programs.get(tag[0])
        if isinstance(result, (str, Lost)) or program in (None, result.layer.provenance.get("program")):
            self._ready[tag] = result
            return True
        self._release(tag, result)
        self._awaiting = [a for a in self._awaiting if a[1] != tag]
        self._replay(tag[0], result.layer, wanted[tag])
        return False

    def _note(self, sample: int, action: str, layer: str, why: str) -> None:
        self.log.append({"sample": sample, "time": round(sample / self.sample_rate, 6), "action": action,
                         "layer": layer, "why": why})

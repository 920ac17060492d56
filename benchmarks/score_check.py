"""Did every segment start on its sample, whole? The engine's recording checked against the generated score.

The score's states play all their stems at 0 dB and the master is transparent at its level (its limiter sits
above the score's peak), so once a transition's fade is over the mix is exactly the sum of the target
segment's stems from the position the decision log names (`start` entries: sample, segment, offset): an
offline render of the score matches it to float32 rounding (about 1e-7), while a stem one sample late leaves
about 5e-3. Each stretch from one start to the next is compared with it; where it differs, the stem that
explains the difference is named (least squares over the first bad stretch, and its lag by cross-correlation).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import soundfile

from make_score import Score

TOLERANCE = 1e-4  # largest |recorded - expected|: float32 rounding of the sum is 1e-7, one sample late 5e-3
CHUNK = 48000  # compared a second at a time
MAX_LAG = 4800  # how far (frames) a late stem is looked for: 100 ms


@dataclass(frozen=True)
class Start:
    sample: int  # on the engine's clock (the decision log's)
    segment: int
    offset: int  # frames into the segment at `sample`
    fade: int  # frames of the crossfade after `sample` (the mix holds both segments meanwhile)


@dataclass(frozen=True)
class Problem:
    start: Start
    at: int  # frames after the start where the mix first differs from the expected
    error: float
    stems: tuple[str, ...]  # e.g. ('st2 gain 0.00', 'st4 late 512 frames')

    def __str__(self) -> str:
        return (f"seg{self.start.segment:02d} at sample {self.start.sample}: differs from {self.at / 48:.1f} ms "
                f"after its start by {self.error:.2g}" + (f" ({', '.join(self.stems)})" if self.stems else ""))


def starts_in(entries, score: Score) -> list[Start]:
    """The segment starts in a decision log, each with the crossfade that follows it."""
    out: list[Start] = []
    fades: dict[int, int] = {}
    for e in entries:
        if e.get("action") == "fade":
            fades[e["sample"]] = max(fades.get(e["sample"], 0), int(e.get("samples", 0)))
    for e in entries:
        if e.get("action") == "start" and str(e.get("segment", "")).startswith("seg"):
            out.append(Start(int(e["sample"]), int(e["segment"][3:]), int(e.get("offset") or 0),
                             fades.get(int(e["sample"]), 0)))
    return sorted(out, key=lambda s: s.sample)


@dataclass
class Verdict:
    checked: int  # starts compared
    seconds: float  # audio compared
    problems: list[Problem]
    skipped: int  # starts outside the recording
    worst: float  # largest difference seen where all was well

    def __str__(self) -> str:
        late = ", ".join(str(p) for p in self.problems[:3])
        return (f"{self.checked} segment starts checked over {self.seconds:.0f} s: {len(self.problems)} late or "
                f"gapped" + (f" ({late}{' ...' if len(self.problems) > 3 else ''})" if late else "")
                + f"; largest difference elsewhere {self.worst:.1g}")


def check(recording, first: int, starts: list[Start], score: Score, end: int | None = None) -> Verdict:
    """`recording`: a (frames, 2) array, or a path to the engine's WAV; `first`: the engine sample of its frame
    0. Each start is compared from the end of its fade to the next start (or `end`, or the recording's end)."""
    source = _Source(recording)
    last = first + source.frames if end is None else min(end, first + source.frames)
    problems, checked, skipped, seconds, worst = [], 0, 0, 0.0, 0.0
    for i, s in enumerate(starts):
        stop = min(starts[i + 1].sample if i + 1 < len(starts) else last, last)
        begin = max(s.sample + s.fade, first)
        if stop <= begin:
            skipped += 1
            continue
        checked += 1
        seconds += (stop - begin) / 48000
        found = None
        for a in range(begin, stop, CHUNK):
            n = min(CHUNK, stop - a)
            got = source.read(a - first, n)
            want = score.expected(s.segment, s.offset + a - s.sample, n)
            diff = np.abs(got - want).max(axis=1)
            bad = np.flatnonzero(diff > TOLERANCE)
            if len(bad):
                at = a + int(bad[0])
                found = Problem(s, at - s.sample, float(diff.max()), blame(source, first, s, at, score))
                break
            worst = max(worst, float(diff.max()) if n else 0.0)
        if found:
            problems.append(found)
    return Verdict(checked, seconds, problems, skipped, worst)


def blame(source: "_Source", first: int, s: Start, at: int, score: Score) -> tuple[str, ...]:
    """Which stems explain the difference at engine sample `at`, over the next 4,800 frames: a stem that the
    rest of the mix matches exactly at another lag (up to MAX_LAG) is late (or early) by that; one that no
    lag explains is named with its gain by least squares (a gap, a missing stem, or several stems wrong)."""
    n = min(4800, source.frames - (at - first))
    if n <= 0:
        return ()
    got = source.read(at - first, n).reshape(-1)
    pos = s.offset + at - s.sample
    stems = [score.stem_audio(s.segment, k, pos, n).reshape(-1) for k in range(score.stems)]
    gains, *_ = np.linalg.lstsq(np.stack(stems, 1), got, rcond=None)
    named = []
    for k, g in enumerate(gains):
        others = (got - sum(stems[j] * (j != k) for j in range(score.stems))).reshape(-1, 2)[:, 0]
        lag = best_lag(others, score.stem_audio(s.segment, k, pos - MAX_LAG, n + 2 * MAX_LAG)[:, 0])
        if lag is None:
            named.append(f"{score.stem(k)} gain {g:.2f}, no lag fits")
        elif lag:
            named.append(f"{score.stem(k)} {'late' if lag > 0 else 'early'} {abs(lag)} frames")
    return tuple(named)


def best_lag(heard: np.ndarray, wide: np.ndarray) -> int | None:
    """The lag (frames; positive: late) at which the stem `wide` (MAX_LAG frames each side of where it
    should be) explains `heard` exactly, or None when no lag does (a gap, not a late start)."""
    n = len(heard)
    corr = np.correlate(wide, heard, mode="valid")  # corr[i] = <wide[i:i + n], heard>
    energy = np.convolve(wide ** 2, np.ones(n), mode="valid")
    residual = float(heard @ heard) - 2 * corr + energy
    i = int(np.argmin(residual))
    if residual[i] > 1e-4 * max(float(heard @ heard), 1e-12):
        return None
    return MAX_LAG - i


class _Source:
    """Frames of the recording, from an array or read from the WAV on demand (an hour does not fit twice)."""

    def __init__(self, recording):
        if isinstance(recording, np.ndarray):
            self.array, self.file, self.frames = recording, None, len(recording)
        else:
            self.array, self.file = None, soundfile.SoundFile(str(recording))
            self.frames = self.file.frames

    def read(self, frame: int, n: int) -> np.ndarray:
        if self.array is not None:
            return np.asarray(self.array[frame:frame + n], dtype=np.float64)
        self.file.seek(frame)
        return self.file.read(n, dtype="float64", always_2d=True)


def aligned_first(recording, first: int, starts: list[Start], score: Score, block: int, tries: int = 4) -> int:
    """The engine sample of the recording's frame 0: `first` as read beside recstart, give or take the blocks
    computed between the two reads in a live run. The candidate that fits the most starts wins (one late
    stem cannot move it: every start votes)."""
    best, best_ok = first, -1
    for k in range(-tries, tries + 1):
        candidate = first + k * block
        sample = [s for s in starts[1:] if s.sample >= candidate][:8]  # the first few transitions decide
        if not sample:
            return first
        ok = sum(1 for s in sample if not check(recording, candidate, [s], score,
                                                 end=s.sample + s.fade + 4800).problems)
        if ok > best_ok:
            best, best_ok = candidate, ok
    return best


def self_test(score: Score) -> None:
    """The checker must pass an exact mix and catch a stem one sample late and a 10 ms gap: built from the
    score's own files, in memory, before any real run is judged by it."""
    starts = [Start(0, 0, 0, 0), Start(4800, 1 % score.segments, 0, 0)]
    length = 9600
    mix = np.concatenate([score.expected(0, 0, 4800), score.expected(starts[1].segment, 0, 4800)])
    assert not check(mix, 0, starts, score, end=length).problems, "the checker fails an exact mix"
    late = mix.copy()
    late[4800:] -= score.stem_audio(starts[1].segment, 0, 0, 4800)
    late[4801:] += score.stem_audio(starts[1].segment, 0, 0, 4799)
    found = check(late, 0, starts, score, end=length).problems
    assert found and found[0].at < 48 and "late 1 frames" in " ".join(found[0].stems), found
    gap = mix.copy()
    gap[4800:5280] -= score.stem_audio(starts[1].segment, score.stems - 1, 0, 480)
    found = check(gap, 0, starts, score, end=length).problems
    assert found and found[0].at < 48 and "gain" in " ".join(found[0].stems), found

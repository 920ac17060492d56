"""A generated score for the "scores of any size" benchmarks (issue #11): never committed, made on demand.

    python benchmarks/make_score.py [--minutes 5] [--segments 12] [--stems 6] [--seed 0] [--out FOLDER]

12 segments x 5 minutes x 6 stereo stems of 48 kHz FLAC (24-bit) by default: one hour of music, with its
`pack.yaml` and a machine (`machine.yaml`) whose rules let every segment reach several others on the next bar
(`event x1` .. `event xK` from every state: the k-th exit of state i leads to segment i + offset_k). Without
--out the score goes to a cache folder under the system's temp dir named after its parameters
(`segue-scores/score-12x6x5m-s0-v1`), and is reused when it is there and complete (`score.json`, written last,
holds the parameters it was made with); a folder whose `score.json` says otherwise is made again.

Each stem is a phrase of its own that can be recognised in a mix: a two-partial tone whose pitch changes every
bar (a pentatonic line in the stem's register, phase-continuous), pulsed in eighth notes by the stem's own
rhythm over a floor that is never silent, panned to the stem's place. Stem (segment, stem) depends only on
(seed, segment, stem, bars): a score of 1 segment x 8 stems has exactly the audio of segment 0 of a score of
9 x 8 with the same seed and length, which is what "eight audible out of 72 loaded must cost what eight cost"
compares. A stem that starts a sample late, or with a gap, differs from the expected samples by far more than
the FLAC's 24-bit quantisation (benchmarks/score_check.py compares them).

Audio is synthesised and written a bar at a time (soundfile, libsndfile's FLAC encoder), so making an hour
needs a few MB of memory, not gigabytes; it takes a few minutes on one core.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile

SR = 48000
TEMPO = 120
BEATS = 4
BAR = SR * 60 * BEATS // TEMPO  # frames in a bar (2 s)
STEP = BAR // 8  # eighth notes
VERSION = 1  # bump when the audio or the YAML changes: cached scores of another version are made again
PEAK = 0.06  # a stem's peak: twelve at once (a crossfade of two six-stem segments) stay below the limiter
FLOOR = 0.35  # a pulse never falls below this share of the peak: a stem is never silent, so a gap shows
PENTATONIC = (0, 2, 4, 7, 9)


@dataclass(frozen=True)
class Score:
    """A generated score on disk: where it is and what it is made of."""
    folder: Path
    minutes: float
    segments: int
    stems: int
    seed: int
    exits: int

    @property
    def machine(self) -> Path:
        return self.folder / "machine.yaml"

    @property
    def pack(self) -> Path:
        return self.folder / "pack.yaml"

    @property
    def bars(self) -> int:
        return bars_for(self.minutes)

    @property
    def frames(self) -> int:
        """Frames in one segment (each of its stems is exactly this long; the segment loops)."""
        return self.bars * BAR

    def segment(self, i: int) -> str:
        return f"seg{i:02d}"

    def state(self, i: int) -> str:
        return f"s{i:02d}"

    def stem(self, i: int) -> str:
        return f"st{i}"

    def path(self, segment: int, stem: int) -> Path:
        return self.folder / self.segment(segment) / f"{self.stem(stem)}.flac"

    def files(self) -> list[Path]:
        return [self.path(g, s) for g in range(self.segments) for s in range(self.stems)]

    def offsets(self) -> list[int]:
        """Where the exits lead: exit k of state i goes to state (i + offsets[k]) % segments."""
        return exit_offsets(self.segments, self.exits)

    def expected(self, segment: int, start: int, frames: int) -> np.ndarray:
        """The segment's stems summed at 0 dB, from `start` (frames into the segment, wrapping: it loops) for
        `frames`: (frames, 2) float64, what the mix should hold while the segment plays alone."""
        out = np.zeros((frames, 2))
        for s in range(self.stems):
            out += self.stem_audio(segment, s, start, frames)
        return out

    def stem_audio(self, segment: int, stem: int, start: int, frames: int) -> np.ndarray:
        """One stem from `start` (wrapping at the segment's end) for `frames`, as the engine decodes it."""
        start %= self.frames
        with soundfile.SoundFile(str(self.path(segment, stem))) as f:
            f.seek(start)
            first = f.read(min(frames, self.frames - start), dtype="float64", always_2d=True)
            parts, left = [first], frames - len(first)
            while left > 0:
                f.seek(0)
                parts.append(f.read(min(left, self.frames), dtype="float64", always_2d=True))
                left -= len(parts[-1])
        return np.concatenate(parts)


def bars_for(minutes: float) -> int:
    return max(1, round(minutes * 60 * SR / BAR))


def exit_offsets(segments: int, exits: int) -> list[int]:
    """Distinct offsets 1 .. segments-1, spread over the score (1, then odd jumps), at most `exits` of them."""
    wanted = [1, 3, 5, 7, 2, 4, 6, 8, 9, 10, 11]
    out = [o for o in wanted if o < segments] + [o for o in range(12, segments)]
    return out[:min(exits, segments - 1)]


def from_env(**defaults) -> Score:
    """The score the benchmarks use: SEGUE_SCORE_MINUTES (5), SEGUE_SCORE_SEGMENTS (12), SEGUE_SCORE_STEMS (6)."""
    sizes = {"minutes": 5.0, "segments": 12, "stems": 6, **defaults}
    return make_score(float(os.environ.get("SEGUE_SCORE_MINUTES", sizes["minutes"])),
                      int(os.environ.get("SEGUE_SCORE_SEGMENTS", sizes["segments"])),
                      int(os.environ.get("SEGUE_SCORE_STEMS", sizes["stems"])))


def default_folder(minutes: float, segments: int, stems: int, seed: int) -> Path:
    return Path(tempfile.gettempdir()) / "segue-scores" / f"score-{segments}x{stems}x{minutes:g}m-s{seed}-v{VERSION}"


def make_score(minutes: float = 5.0, segments: int = 12, stems: int = 6, seed: int = 0,
               folder: Path | str | None = None, exits: int = 4, progress=None) -> Score:
    """The score with these parameters, made in `folder` (default: the cache) unless it is there already."""
    folder = Path(folder) if folder is not None else default_folder(minutes, segments, stems, seed)
    score = Score(folder, float(minutes), segments, stems, seed, exits)
    manifest = folder / "score.json"
    wanted = {"version": VERSION, "minutes": score.minutes, "segments": segments, "stems": stems, "seed": seed,
              "exits": exits, "bars": score.bars, "sample_rate": SR, "tempo": TEMPO}
    if manifest.exists():
        try:
            if json.loads(manifest.read_text()) == wanted and all(p.exists() for p in score.files()):
                return score
        except (OSError, ValueError):
            pass
    if folder.exists():  # stale or incomplete: start again (only what this script makes)
        manifest.unlink(missing_ok=True)
        for g in folder.glob("seg[0-9][0-9]"):
            shutil.rmtree(g)
    folder.mkdir(parents=True, exist_ok=True)
    for g in range(segments):
        (folder / score.segment(g)).mkdir(exist_ok=True)
        for s in range(stems):
            write_stem(score.path(g, s), seed, g, s, score.bars)
            if progress:
                progress(g * stems + s + 1, segments * stems)
    score.pack.write_text(pack_yaml(score))
    score.machine.write_text(machine_yaml(score))
    manifest.write_text(json.dumps(wanted))  # last: its presence says the score is complete
    return score


def write_stem(path: Path, seed: int, segment: int, stem: int, bars: int) -> None:
    """Synthesise one stem bar by bar and write it as 24-bit stereo FLAC."""
    rng = np.random.default_rng([seed, segment, stem])
    root = 48 + 3 * segment % 12 + 7 * stem % 24  # MIDI: each (segment, stem) its own register and key
    pattern = rng.random(8) < 0.55
    pattern[0] = True  # every bar starts on a pulse
    pan = (stem + 0.5) / 8 % 1.0 * math.pi / 2
    gains = np.array([math.cos(pan), math.sin(pan)])
    second = 0.2 + 0.3 * rng.random()  # the second partial's weight: timbre
    t = np.arange(STEP) / SR
    attack = np.minimum(1.0, t / 0.004)
    pulse = FLOOR + (1 - FLOOR) * attack * np.exp(-t / (0.03 + 0.05 * rng.random()))
    flat = np.full(STEP, FLOOR)
    envelope = np.concatenate([pulse if on else flat for on in pattern])
    n = np.arange(BAR)
    phase = 0.0
    tmp = path.with_suffix(".partial.flac")
    with soundfile.SoundFile(str(tmp), "w", SR, 2, subtype="PCM_24", format="FLAC") as f:
        for _ in range(bars):
            note = root + 12 * (rng.random() < 0.2) + PENTATONIC[rng.integers(len(PENTATONIC))]
            freq = 440.0 * 2 ** ((note - 69) / 12)
            w = 2 * math.pi * freq / SR
            x = np.sin(phase + w * n) + second * np.sin(2 * (phase + w * n))
            phase = (phase + w * BAR) % (2 * math.pi)
            mono = PEAK / (1 + second) * envelope * x
            f.write(mono[:, None] * gains[None, :])
    os.replace(tmp, path)


def pack_yaml(score: Score) -> str:
    lines = [f"# Generated by benchmarks/make_score.py (seed {score.seed}); never committed.",
             f"name: score-{score.segments}x{score.stems}", f"sample_rate: {SR}", f"tempo: {TEMPO}",
             f"meter: {BEATS}/4", "key: C major", "segments:"]
    for g in range(score.segments):
        lines += [f"  {score.segment(g)}:", f"    bars: {score.bars}", "    loop: true", "    stems:"]
        lines += [f"      {score.stem(s)}: {score.segment(g)}/{score.stem(s)}.flac" for s in range(score.stems)]
    return "\n".join(lines) + "\n"


def machine_yaml(score: Score) -> str:
    """Every state plays its segment, all stems at 0 dB; from each, `event xK` leads on the next bar to the
    state `offsets[K-1]` further on."""
    offsets = score.offsets()
    events = [f"x{k + 1}" for k in range(len(offsets))]
    lines = ["# Generated by benchmarks/make_score.py; never committed.", "pack: .",
             f"events: [{', '.join(events)}]", f"initial: {score.state(0)}", "defaults: {sync: bar}", "states:"]
    lines += [f"  {score.state(g)}: {{segment: {score.segment(g)}}}" for g in range(score.segments)]
    if offsets:
        lines.append("transitions:")
    for g in range(score.segments):
        for event, o in zip(events, offsets):
            lines.append(f"  - {{from: {score.state(g)}, to: {score.state((g + o) % score.segments)}, "
                         f"when: event {event}, sync: bar}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="length of each segment")
    ap.add_argument("--segments", type=int, default=12)
    ap.add_argument("--stems", type=int, default=6, help="stereo stems per segment")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--exits", type=int, default=4, help="rules leaving each state")
    ap.add_argument("--out", type=Path, help="folder (default: a cache folder under the temp dir)")
    args = ap.parse_args()
    score = make_score(args.minutes, args.segments, args.stems, args.seed, args.out, args.exits,
                       progress=lambda done, total: print(f"\r{done}/{total} stems", end="", flush=True))
    print(f"\n{score.machine}")


if __name__ == "__main__":
    main()

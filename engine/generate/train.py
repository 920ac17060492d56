"""Trains the layer model on music21's bundled corpus and exports it to ONNX with its model card.

    python -m engine.generate.train            # about 25 minutes on 2 CPU cores (15 once the corpus is cached)

Needs the training extra (`pip install -e '.[train]'`: torch, music21, onnx). Never imported by the
engine. The encoded corpus is cached in ~/.cache/segue so a second run skips the slow parsing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from engine.generate.corpus import ARP_FLOORS, ARPEGGIOS
from engine.generate.encoding import (BASS, COND, DENSITY, INTERVALS, NEXT_INTERVALS, NEXT_ROOT, REGISTER, ROLES,
                                      ROOT, SCALE, STYLES, TONES, VOCAB, tokens_to_notes)
from engine.generate.ngram import NGram
from engine.generate.quality import PHRASE_BARS, StyleClassifier, corpus_beats, features, shares
from engine.harmony import Mode
from engine.roles import LOW

HERE = Path(__file__).resolve().parent
MODEL_DIR = HERE / "model"
CACHE = Path.home() / ".cache" / "segue" / "corpus-v6.npz"
HIDDEN, LAYERS, EMBED = 128, 2, 32
CHUNK = 128
VERSION = "segue-gru-3"
TOKENS_PER_STYLE = 400_000  # training 16ths a style may give: no style drowns the others
CHORALES_PER_TASK = 40
MODAL_REPEATS = 4  # lines in a mode other than major and minor are few (6 % of the training lines): the model sees them five times
RECAST_SHARE = 2 / 3  # of the major and minor training lines: seen again each epoch, recast in a mode near theirs
# a major or minor line recast in a neighbouring mode, and that mode's share of its recasts: the scale degrees the
# two modes differ in move a semitone, in its notes and its chord symbols alike (minor's 6th raised and leading tone
# lowered make it dorian). Dorian and mixolydian, the modes folk, fiddle and game music use most, come twice as
# often as lydian and phrygian.
RECASTS = {Mode.IONIAN.value: ((Mode.MIXOLYDIAN, {11: 10}, 2 / 3), (Mode.LYDIAN, {5: 6}, 1 / 3)),
           Mode.MINOR.value: ((Mode.DORIAN, {8: 9, 11: 10}, 2 / 3), (Mode.PHRYGIAN, {2: 1, 11: 10}, 1 / 3))}


def _tasks() -> list[tuple[str, tuple[str, ...]]]:
    """(style, corpus paths) per unit of parsing work, in a fixed order."""
    import music21  # noqa: PLC0415 - training only
    from music21 import corpus  # noqa: PLC0415

    from engine.generate.corpus import SOURCES  # noqa: PLC0415 - imports music21

    root = Path(music21.__file__).parent / "corpus"
    tasks = []
    for style, folders in SOURCES.items():
        for folder in folders:
            if folder == "bach":
                names = tuple(corpus.chorales.Iterator(returnType="filename"))
                tasks += [(style.value, names[i:i + CHORALES_PER_TASK]) for i in range(0, len(names), CHORALES_PER_TASK)]
            else:
                tasks += [(style.value, (f"{folder}/{f.name}",)) for f in sorted((root / folder).glob("*.abc"))]
    return tasks


def _encode_task(task: tuple[int, str, tuple[str, ...]]) -> list[tuple]:
    """Every line of one task's pieces: (tokens, conds, role, style, piece name)."""
    from music21 import corpus  # noqa: PLC0415 - training only

    from engine.generate.corpus import encode_score  # noqa: PLC0415 - imports music21
    from engine.roles import Style  # noqa: PLC0415

    index, style, paths = task
    rng = np.random.default_rng(index)
    out = []
    for path in paths:
        try:
            parsed = corpus.parse(path)
        except Exception as exc:  # a few corpus files do not parse; skip them, say so
            print(f"skipping {path}: {exc}")
            continue
        scores = list(parsed.scores) if hasattr(parsed, "scores") else [parsed]
        for number, score in enumerate(scores):
            try:
                lines = encode_score(score, Style(style), rng)
            except Exception as exc:  # an odd piece (broken tuplets, empty parts): skip it, say so
                print(f"skipping {path} #{number}: {type(exc).__name__}: {exc}")
                continue
            out += [(line.tokens, line.conds, line.role.value, style, f"{path}#{number}") for line in lines]
    return out


def build_corpus() -> list[tuple]:
    """(tokens, conds, role, style, piece) of every line of the corpus, parsed on both cores, cached."""
    if CACHE.exists():
        data = np.load(CACHE, allow_pickle=False)
        meta = data["meta"].tolist()
        return [(data[f"t{i}"], data[f"c{i}"], *meta[i]) for i in range(len(meta))]
    tasks = [(i, style, paths) for i, (style, paths) in enumerate(_tasks())]
    lines = []
    with Pool(2) as pool:
        for done, result in enumerate(pool.imap(_encode_task, tasks, chunksize=1)):
            lines += result
            if done % 50 == 0:
                print(f"encoded {done + 1}/{len(tasks)} corpus files: {len(lines)} lines")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"t{i}": line[0] for i, line in enumerate(lines)} | {f"c{i}": line[1] for i, line in enumerate(lines)}
    np.savez_compressed(CACHE, meta=np.array([line[2:] for line in lines]), **arrays)
    return lines


def split(lines: list[tuple], seed: int = 0) -> tuple[list[int], list[int]]:
    """10 % of each style's pieces held out, whole pieces at a time; of the rest, up to TOKENS_PER_STYLE
    training 16ths a style, whole pieces drawn at random."""
    rng = np.random.default_rng(seed)
    sizes: dict[str, int] = {}
    for line in lines:
        sizes[line[4]] = sizes.get(line[4], 0) + len(line[0])
    train, test = [], []
    for style in STYLES:
        pieces = sorted({line[4] for line in lines if line[3] == style})
        order = rng.permutation(len(pieces))
        held = {pieces[i] for i in order[:max(1, len(pieces) // 10)]}
        budget, taken = TOKENS_PER_STYLE, set()
        for i in order[len(held):]:
            if budget <= 0:
                break
            taken.add(pieces[i])
            budget -= sizes[pieces[i]]
        for i, line in enumerate(lines):
            if line[4] in held:
                test.append(i)
            elif line[4] in taken:
                train.append(i)
    return train, test


def train(epochs: int, seed: int) -> None:
    import torch  # noqa: PLC0415 - training only
    from torch import nn  # noqa: PLC0415

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    started = time.time()
    lines = build_corpus()
    train_ids, test_ids = split(lines, seed)
    tokens, conds = [line[0] for line in lines], [line[1] for line in lines]
    print(f"{len(lines)} lines from {len({line[4] for line in lines})} pieces; {len(train_ids)} train, "
          f"{len(test_ids)} held out")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.gru = nn.GRU(EMBED + COND, HIDDEN, LAYERS, batch_first=True)
            self.out = nn.Linear(HIDDEN, VOCAB)

        def forward(self, tok, cond, h):
            y, h = self.gru(torch.cat([self.embed(tok), cond], dim=-1), h)
            return self.out(y), h

    octaves = np.random.default_rng(seed)

    def chunks(pairs):
        xs, cs, ys = [], [], []
        for t, c in pairs:
            t, c = transposed(t, c, octaves)
            prev = np.concatenate([[0], t[:-1]])  # the model sees the previous token and this step's conditions
            for s in range(0, len(t), CHUNK):
                seg = slice(s, s + CHUNK)
                pad = CHUNK - len(t[seg])
                xs.append(np.pad(prev[seg], (0, pad)))
                cs.append(np.pad(c[seg], ((0, pad), (0, 0))))
                ys.append(np.pad(t[seg], (0, pad), constant_values=-100))
        return torch.tensor(np.array(xs)), torch.tensor(np.array(cs)), torch.tensor(np.array(ys))

    def line_nll(i) -> float:
        """Summed NLL of one whole held-out line, from a silent start."""
        t = torch.tensor(tokens[i])
        prev = torch.cat([torch.zeros(1, dtype=torch.int64), t[:-1]])
        logits, _ = net(prev[None], torch.tensor(conds[i])[None], None)
        return nn.functional.cross_entropy(logits[0], t, reduction="sum").item()

    def held_out(ids) -> float:
        net.eval()
        with torch.no_grad():
            total = sum(line_nll(i) for i in ids)
        net.train()
        return total / sum(len(tokens[i]) for i in ids)

    lines_seen = [(tokens[i], conds[i]) for i in train_ids + [i for i in train_ids if modal(conds[i])] * MODAL_REPEATS]
    recasting = np.random.default_rng(seed)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    for epoch in range(epochs):
        recasts = recast_lines(tokens, conds, train_ids, recasting)
        xtr, ctr, ytr = chunks(lines_seen + recasts)
        order = torch.randperm(len(xtr))
        for s in range(0, len(order), 64):
            b = order[s:s + 64]
            logits, _ = net(xtr[b], ctr[b], None)
            loss = loss_fn(logits.reshape(-1, VOCAB), ytr[b].reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
        sched.step()
        print(f"epoch {epoch + 1}/{epochs}: {len(recasts)} lines recast, train loss {loss.item():.3f}, "
              f"held-out {held_out(test_ids):.3f} nats/16th")
    minutes = (time.time() - started) / 60
    export(net, torch)
    pairs = [(tokens[i], conds[i]) for i in train_ids]
    baselines = {"trigram, chord input": NGram(pairs, 3), "trigram, tokens only": NGram(pairs, 3, conditioned=False)}
    table = []
    for role, style in sorted({(lines[i][2], lines[i][3]) for i in test_ids}):
        ids = [i for i in test_ids if lines[i][2:4] == (role, style)]
        row = {"role": role, "style": style, "lines": len(ids), "16ths": sum(len(tokens[i]) for i in ids),
               "model": round(held_out(ids), 4)}
        row |= {name: round(ngram.nll([(tokens[i], conds[i]) for i in ids]), 4) for name, ngram in baselines.items()}
        table.append(row)
    sample = held_out_sample(lines, test_ids)
    overall = {"model": round(held_out(test_ids), 4), "sample, model": round(held_out(sample), 4),
               "sample, trigram, chord input": round(baselines["trigram, chord input"].nll(
                   [(tokens[i], conds[i]) for i in sample]), 4)}
    overall |= {name: round(ngram.nll([(tokens[i], conds[i]) for i in test_ids]), 4)
                for name, ngram in baselines.items()}
    corpus = {f"{row['role']}/{row['style']}": line_figures([(tokens[i], conds[i]) for i in test_ids
                                                              if lines[i][2:4] == (row["role"], row["style"])])
              for row in table}
    write_card({"version": VERSION, "sha256": hashlib.sha256((MODEL_DIR / "layers.onnx").read_bytes()).hexdigest(),
                "parameters": sum(p.numel() for p in net.parameters()), "epochs": epochs, "seed": seed,
                "training_minutes": round(minutes, 1), "held_out_nll": overall, "by_role_and_style": table,
                "corpus_lines": corpus, "style_classifier": fit_style_classifier(lines, train_ids, test_ids),
                "split": split_figures(lines, train_ids, test_ids), "densities": density_ranges(lines, train_ids),
                "augmentation": augmentation(conds, train_ids)})
    save_held_out_sample(lines, sample)


def transposed(tokens: np.ndarray, conds: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """A training line an octave down or up (a quarter of the time each, where its notes allow), its register
    input moved with it: so the model learns to write where the register asks, not only where each role and
    style's corpus happens to sit."""
    shift = int(rng.choice((-12, 0, 12), p=(0.25, 0.5, 0.25)))
    notes = tokens >= 2
    moved = tokens[notes] + shift
    if shift == 0 or not notes.any() or moved.min() < 2 or moved.max() >= VOCAB:
        return tokens, conds
    tokens, conds = tokens.copy(), conds.copy()
    tokens[notes] = moved
    conds[:, REGISTER:REGISTER + 2] += shift / 24
    return tokens, conds


def recast_lines(tokens, conds, ids, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """RECAST_SHARE of the major and minor lines among `ids`, each recast in one of its neighbouring modes, drawn
    afresh every epoch: 94 % of the training lines are major or minor, and a model that has seen few dorian lines
    writes a dorian piece's 6th as minor's. Drawn again each epoch, a line is heard in several modes."""
    out = []
    for i in ids:
        choices = RECASTS.get(tuple(np.flatnonzero(conds[i][0, SCALE:SCALE + 12] > 0.5).tolist()))
        if choices and rng.random() < RECAST_SHARE:
            mode, moves, _ = choices[int(rng.choice(len(choices), p=[share for *_, share in choices]))]
            out.append(recast(tokens[i], conds[i], mode, moves))
    return out


def recast(tokens: np.ndarray, conds: np.ndarray, mode: Mode, moves: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """One line in another mode: each note and chord tone of a pitch class in `moves` moved to its new one (by a
    semitone), the chord symbols' roots, intervals, tones and basses read again from the moved tones, the scale
    input set to the mode's."""
    delta = np.zeros(12, dtype=np.int64)
    for old, new in moves.items():
        delta[old] = new - old
    tokens, conds = tokens.copy(), conds.copy()
    notes = tokens >= 2
    tokens[notes] += delta[(tokens[notes] - 2 + LOW) % 12]
    rows, twelve = np.arange(len(conds))[:, None], np.arange(12)[None, :]
    for root_at, intervals_at in ((ROOT, INTERVALS), (NEXT_ROOT, NEXT_INTERVALS)):
        root = conds[:, root_at:root_at + 12].argmax(axis=1)[:, None]
        tones = np.zeros((len(conds), 12), dtype=bool)
        tones[rows, (root + twelve) % 12] = conds[:, intervals_at:intervals_at + 12] > 0.5
        moved = np.zeros_like(tones)
        for pc in range(12):
            moved[:, (pc + delta[pc]) % 12] |= tones[:, pc]
        root = (root + delta[root]) % 12
        conds[:, root_at:root_at + 12] = twelve == root
        conds[:, intervals_at:intervals_at + 12] = moved[rows, (root + twelve) % 12]
        if root_at == ROOT:
            spelled = moved  # this bar's chord: its tones input too
    bass = conds[:, BASS:BASS + 12].argmax(axis=1)
    conds[:, BASS:BASS + 12] = twelve == ((bass + delta[bass]) % 12)[:, None]
    conds[:, TONES:TONES + 12] = spelled | (conds[:, BASS:BASS + 12] > 0.5)
    conds[:, SCALE:SCALE + 12] = np.isin(np.arange(12), mode.value)
    return tokens, conds


def modal(conds: np.ndarray) -> bool:
    """A line in dorian, mixolydian, lydian, phrygian...: its scale is neither major nor the tonal minor."""
    scale = tuple(np.flatnonzero(conds[0, SCALE:SCALE + 12] > 0.5).tolist())
    return scale not in (Mode.IONIAN.value, Mode.MINOR.value)


def density_ranges(lines, train_ids) -> dict:
    """Per role and style: the 10th and 90th percentile of the training lines' density (model.py's
    LayerModel.density maps a request's 0..1 onto them)."""
    out = {}
    for role in ROLES:
        for style in STYLES:
            values = [float(lines[i][1][0, DENSITY]) for i in train_ids if lines[i][2:4] == (role, style)]
            if values:
                out[f"{role}/{style}"] = [round(float(np.percentile(values, q)), 4) for q in (10, 90)]
    return out


def augmentation(conds, train_ids) -> dict:
    """How the training lines were made and varied, recorded beside the model so that its card describes the
    training that made it, not the code as it is later."""
    tonal = sum(RECASTS.get(tuple(np.flatnonzero(conds[i][0, SCALE:SCALE + 12] > 0.5).tolist())) is not None
                for i in train_ids)
    return {"arpeggios_a_chorale": ARPEGGIOS, "arpeggio_floors": [ARP_FLOORS[0], ARP_FLOORS[1] - 1],
            "tonal_share": round(tonal / len(train_ids), 4), "recast_share": round(RECAST_SHARE, 4),
            "recasts": {mode.name.lower(): round(share, 4) for choices in RECASTS.values() for mode, _, share in choices}}


def split_figures(lines, train_ids, test_ids) -> dict:
    """Pieces, lines and 16ths per style in training and held out."""
    out = {}
    for style in STYLES:
        for name, ids in (("train", train_ids), ("held_out", test_ids)):
            chosen = [lines[i] for i in ids if lines[i][3] == style]
            out[f"{style}/{name}"] = {"pieces": len({line[4] for line in chosen}), "lines": len(chosen),
                                      "16ths": int(sum(len(line[0]) for line in chosen))}
    return out


def line_figures(items: list[tuple[np.ndarray, np.ndarray]]) -> dict:
    """The corpus's own shares for one role and style, measured as quality.py measures generated lines."""
    return shares([(tokens_to_notes(t), corpus_beats(c)[0]) for t, c in items])


def phrase_features(tokens: np.ndarray, conds: np.ndarray) -> list[np.ndarray]:
    """The style classifier's features of every 4-bar window of a corpus line, bar line to bar line."""
    beat, bar = corpus_beats(conds)
    starts = np.flatnonzero(bar)
    out = []
    for a, b in zip(starts, starts[PHRASE_BARS:]):
        notes = tokens_to_notes(tokens[a:b])
        if len(notes) >= 4:
            out.append(features(notes, beat[a:b], b - a))
    return out


def fit_style_classifier(lines, train_ids, test_ids) -> dict:
    """Fitted on the training melodies' 4-bar windows; its accuracy on the held-out ones is reported beside it."""
    def windows(ids):
        return {style: [f for i in ids if lines[i][2:4] == ("melody", style) for f in phrase_features(*lines[i][:2])]
                for style in STYLES}

    classifier = StyleClassifier.fit(windows(train_ids))
    held = windows(test_ids)
    right = sum(classifier.predict(f) == style for style, fs in held.items() for f in fs)
    return classifier.to_dict() | {"held_out_accuracy": round(right / sum(len(fs) for fs in held.values()), 4)}


def export(net, torch) -> None:
    class Step(torch.nn.Module):
        """One step at a time, hidden state in and out: what the engine runs."""

        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, tok, cond, h):
            logits, h = self.net(tok.reshape(1, 1), cond.reshape(1, 1, COND), h)
            return logits.reshape(1, VOCAB), h

    MODEL_DIR.mkdir(parents=True, exist_ok=True)
    step = Step(net).eval()
    args = (torch.zeros(1, dtype=torch.int64), torch.zeros(1, COND), torch.zeros(LAYERS, 1, HIDDEN))
    torch.onnx.export(step, args, str(MODEL_DIR / "layers.onnx"), input_names=["token", "cond", "h"],
                      output_names=["logits", "h_out"], opset_version=17, dynamo=False)


def held_out_sample(lines, test_ids) -> list[int]:
    """Two held-out lines of every role and style: shipped, so tests can check the exported model against the card."""
    return [i for role in ROLES for style in STYLES for i in [i for i in test_ids if lines[i][2:4] == (role, style)][:2]]


def save_held_out_sample(lines, picked) -> None:
    np.savez_compressed(MODEL_DIR / "held_out_sample.npz", **{f"t{k}": lines[i][0] for k, i in enumerate(picked)},
                        **{f"c{k}": lines[i][1] for k, i in enumerate(picked)})


def write_card(metrics: dict) -> None:
    (MODEL_DIR / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    render_card(metrics)
def render_card(metrics: dict) -> None:
    """MODEL_CARD.md from metrics.json and the figures quality.py measures on material training never saw."""
    from engine.generate.quality import evaluation_report  # noqa: PLC0415 - runs the exported model

    model = MODEL_DIR / "layers.onnx"
    overall, made = metrics["held_out_nll"], metrics["augmentation"]
    recasts = ", ".join(f"{mode} {share:.0%}" for mode, share in made["recasts"].items())
    rows = "\n".join(f"| {r['role']} | {r['style']} | {r['lines']} | {r['16ths']:,} | **{r['model']:.3f}** | "
                     f"{r['trigram, chord input']:.3f} | {r['trigram, tokens only']:.3f} |"
                     for r in metrics["by_role_and_style"])
    split_rows = "\n".join(f"| {style} | {metrics['split'][f'{style}/train']['pieces']} | "
                           f"{metrics['split'][f'{style}/train']['16ths']:,} | "
                           f"{metrics['split'][f'{style}/held_out']['pieces']} | "
                           f"{metrics['split'][f'{style}/held_out']['16ths']:,} | {SOURCE_NOTES[style]} |"
                           for style in STYLES)
    (MODEL_DIR / "MODEL_CARD.md").write_text(f"""# Model card: {metrics['version']}

A 2-layer GRU (hidden {HIDDEN}, token embedding {EMBED}) that writes one note line, a 16th note at a time.
It is conditioned on what a player reads off a lead sheet, never on the notes sounding at the step it writes:
the bar's chord symbol (root and bass relative to the tonic, intervals above the root, and the pitch classes it
spells) and the next bar's, the key's scale (its mode), the meter and the 16th's place in it (beat, 16th
within the beat, compound or simple), and the role, style, density and register asked for. Exported to ONNX (`layers.onnx`, one step per call,
hidden state in and out) and run by the engine with onnxruntime.

| | |
|---|---|
| version | {metrics['version']} |
| sha256 of layers.onnx | `{metrics['sha256']}` |
| parameters | {metrics['parameters']:,} ({model.stat().st_size / 1024:.0f} KiB on disk) |
| training | {metrics['epochs']} epochs, Adam, cosine schedule, 2 CPU threads, {metrics['training_minutes']:.1f} minutes (seed {metrics['seed']}) |

## Data and split
music21's bundled corpus, shipped inside the music21 package (nothing is downloaded). Each piece is moved to
tonic C and quantised to 16ths; its bars are read as one chord symbol each (the best-fitting triad, seventh or
sus4 over the bar's notes weighted by length and beat; a chorale's inversion gives a slash bass), and its scale
as the mode that holds most of its notes. Pieces, not lines, are split: 10 % of each style's pieces are held
out (seed {metrics['seed']}); of the rest, up to {TOKENS_PER_STYLE:,} 16ths a style train the model. A chorale gives
its bass, soprano (melody), alto and tenor (counter) and {made['arpeggios_a_chorale']} arpeggio lines: its harmony broken beat by
beat, each line at its own pace and in close voicings within the octave above a floor drawn between MIDI
{made['arpeggio_floors'][0]} and {made['arpeggio_floors'][1]}. {made['tonal_share']:.0%} of the training lines are in major or minor, so every epoch
{made['recast_share']:.0%} of those, drawn afresh, are seen a second time recast in a mode beside theirs, the degrees the modes
differ in moved a semitone in the notes and chord symbols alike: major as mixolydian or lydian, minor as dorian
or phrygian (of a major or a minor line's recasts: {recasts}).

| style | pieces, training | 16ths, training | pieces, held out | 16ths, held out | source and licence |
|---|---|---|---|---|---|
{split_rows}

## Held-out loss (nats per 16th), like for like
The baselines are interpolated (Witten-Bell) trigrams on the same split and tokens. "Chord input" gives the
trigram the model's own chord input: the bar's chord symbol and the next, the scale, the meter and the 16th's
place, role and style. "Tokens only" gives it the previous tokens alone.

| role | style | lines | 16ths | model | trigram, chord input | trigram, tokens only |
|---|---|---|---|---|---|---|
{rows}
| all | all | | | **{overall['model']:.3f}** | {overall['trigram, chord input']:.3f} | {overall['trigram, tokens only']:.3f} |

## What it writes, on material training never saw
{evaluation_report(metrics)}

Rebuild: `pip install -e '.[train]' && python -m engine.generate.train` (or `--card-only` to rewrite this card
from metrics.json). `tests/test_generate.py` recomputes the held-out loss on the shipped sample
(`held_out_sample.npz`: two held-out lines of every role and style) and checks it against this card;
`benchmarks/test_generation_quality.py` measures the figures above and holds them to issue #12's budgets.

Limits: bass, counter and arpeggio lines come from the chorales only (the folk and fiddle sources are
melodies), so those roles write chorale-like lines whatever the style, and arpeggio lines are broken chords of
the chorales' harmony in close voicings. Modes other than major and minor are learnt mostly from recast major and
minor pieces (the corpus's own modal lines are {1 - made['tonal_share']:.0%} of its training lines, seen five times each), so a modal line moves as a
tonal one does with the mode's notes. Sampling adds temperature, top-k, a register clamp and, as the
engine ships it, a gentle push toward chord tones on strong beats and toward the key
(`engine/generate/model.py`); every figure above is the model alone, without that push.
""")


SOURCE_NOTES = {
    "chorale": "Bach's four-part chorales (music21 `bach`): the works are public domain; music21's corpus licence",
    "folk": "Essen folk song collection (music21 `essenFolksong`, ABC by Seymour Schlien): distributed with music21 "
            "for non-commercial use by permission of the EsAC project; see its `license.txt`",
    "fiddle": "Ryan's Mammoth Collection (1883) and O'Neill's Music of Ireland (1903) (music21 `ryansMammoth`, "
              "`oneills1850`): public-domain tunes, volunteer ABC transcriptions; music21's corpus licence",
}


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=14)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--card-only", action="store_true", help="rewrite MODEL_CARD.md from metrics.json")
    args = ap.parse_args()
    if args.card_only:
        render_card(json.loads((MODEL_DIR / "metrics.json").read_text()))
    else:
        train(args.epochs, args.seed)

"""Trains the layer model on music21's Bach chorales and exports it to ONNX with its model card.

    python -m engine.generate.train            # about 5 minutes on 2 CPU cores

Needs the training extra (`pip install -e '.[train]'`: torch, music21, onnx). Never imported by the
engine. The encoded corpus is cached in ~/.cache/segue so a second run skips the slow parsing.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np

from engine.generate.encoding import COND, VOCAB

HERE = Path(__file__).resolve().parent
MODEL_DIR = HERE / "model"
CACHE = Path.home() / ".cache" / "segue" / "chorales-v1.npz"
HIDDEN, LAYERS, EMBED = 128, 2, 32
CHUNK = 128
VERSION = "segue-gru-1"


def build_corpus() -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    """Token and condition arrays of every role line, and the chorale each line comes from."""
    if CACHE.exists():
        data = np.load(CACHE, allow_pickle=False)
        n = int(data["count"])
        return ([data[f"t{i}"] for i in range(n)], [data[f"c{i}"] for i in range(n)], data["piece"].tolist())
    from music21 import corpus  # noqa: PLC0415 - training only

    from engine.generate.corpus import encode_score  # noqa: PLC0415 - imports music21

    rng = np.random.default_rng(0)
    tokens, conds, piece = [], [], []
    for index, score in enumerate(corpus.chorales.Iterator()):
        try:
            lines = encode_score(score, rng)
        except Exception as exc:  # a few corpus files have odd parts; skip them, say so
            print(f"skipping chorale {index}: {exc}")
            continue
        for t, c in lines:
            tokens.append(t)
            conds.append(c)
            piece.append(index)
        if index % 50 == 0:
            print(f"encoded {index} chorales")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"t{i}": t for i, t in enumerate(tokens)} | {f"c{i}": c for i, c in enumerate(conds)}
    np.savez_compressed(CACHE, count=len(tokens), piece=np.array(piece), **arrays)
    return tokens, conds, piece


def split(piece: list[int], seed: int = 0) -> tuple[list[int], list[int]]:
    """Lines of 10 % of the chorales are held out, whole chorales at a time."""
    pieces = sorted(set(piece))
    held = set(np.random.default_rng(seed).choice(pieces, size=max(1, len(pieces) // 10), replace=False).tolist())
    train = [i for i, p in enumerate(piece) if p not in held]
    test = [i for i, p in enumerate(piece) if p in held]
    return train, test


def ngram_nll(tokens: list[np.ndarray], train: list[int], test: list[int], order: int) -> float:
    """Held-out negative log-likelihood (nats per token) of an interpolated n-gram model with add-k smoothing."""
    counts = [Counter() for _ in range(order + 1)]
    for i in train:
        seq = [0] * (order - 1) + tokens[i].tolist()
        for j in range(order - 1, len(seq)):
            for n in range(1, order + 1):
                counts[n][tuple(seq[j - n + 1:j + 1])] += 1
    context = [Counter() for _ in range(order + 1)]
    for n in range(2, order + 1):
        for gram, c in counts[n].items():
            context[n][gram[:-1]] += c
    total = sum(counts[1].values())
    weights = {1: [1.0], 2: [0.2, 0.8], 3: [0.1, 0.3, 0.6]}[order]
    k = 0.01
    nll, count = 0.0, 0
    for i in test:
        seq = [0] * (order - 1) + tokens[i].tolist()
        for j in range(order - 1, len(seq)):
            p = 0.0
            for n, w in zip(range(1, order + 1), weights):
                gram = tuple(seq[j - n + 1:j + 1])
                denominator = total if n == 1 else context[n][gram[:-1]]
                p += w * (counts[n][gram] + k) / (denominator + k * VOCAB)
            nll -= math.log(p)
            count += 1
    return nll / count


def train(epochs: int, seed: int) -> None:
    import torch  # noqa: PLC0415 - training only
    from torch import nn  # noqa: PLC0415

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    started = time.time()
    tokens, conds, piece = build_corpus()
    train_ids, test_ids = split(piece, seed)
    print(f"{len(tokens)} lines from {len(set(piece))} chorales; {len(train_ids)} train, {len(test_ids)} held out")

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, EMBED)
            self.gru = nn.GRU(EMBED + COND, HIDDEN, LAYERS, batch_first=True)
            self.out = nn.Linear(HIDDEN, VOCAB)

        def forward(self, tok, cond, h):
            y, h = self.gru(torch.cat([self.embed(tok), cond], dim=-1), h)
            return self.out(y), h

    def chunks(ids):
        xs, cs, ys = [], [], []
        for i in ids:
            t, c = tokens[i], conds[i]
            prev = np.concatenate([[0], t[:-1]])  # the model sees the previous token and this step's conditions
            for s in range(0, max(1, len(t) - CHUNK // 2), CHUNK // 2):
                seg = slice(s, s + CHUNK)
                pad = CHUNK - len(t[seg])
                xs.append(np.pad(prev[seg], (0, pad)))
                cs.append(np.pad(c[seg], ((0, pad), (0, 0))))
                ys.append(np.pad(t[seg], (0, pad), constant_values=-100))
        return torch.tensor(np.array(xs)), torch.tensor(np.array(cs)), torch.tensor(np.array(ys))

    xtr, ctr, ytr = chunks(train_ids)
    xte, cte, yte = chunks(test_ids)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)

    def held_out() -> float:
        net.eval()
        with torch.no_grad():
            total, n = 0.0, 0
            for s in range(0, len(xte), 256):
                logits, _ = net(xte[s:s + 256], cte[s:s + 256], None)
                mask = yte[s:s + 256] != -100
                total += loss_fn(logits.reshape(-1, VOCAB), yte[s:s + 256].reshape(-1)).item() * mask.sum().item()
                n += mask.sum().item()
        net.train()
        return total / n

    for epoch in range(epochs):
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
        print(f"epoch {epoch + 1}/{epochs}: train loss {loss.item():.3f}, held-out {held_out():.3f} nats/token")
    gru_nll = held_out()
    bigram, trigram = ngram_nll(tokens, train_ids, test_ids, 2), ngram_nll(tokens, train_ids, test_ids, 3)
    minutes = (time.time() - started) / 60
    export(net, torch)
    params = sum(p.numel() for p in net.parameters())
    write_card(params, gru_nll, bigram, trigram, minutes, len(set(piece)), len(train_ids), len(test_ids), epochs, seed)
    save_held_out_sample(tokens, conds, test_ids)


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


def save_held_out_sample(tokens, conds, test_ids) -> None:
    """A few held-out lines, shipped so tests can check the model's held-out loss against the card."""
    pick = test_ids[:: max(1, len(test_ids) // 20)][:20]
    np.savez_compressed(MODEL_DIR / "held_out_sample.npz", **{f"t{i}": tokens[j] for i, j in enumerate(pick)},
                        **{f"c{i}": conds[j] for i, j in enumerate(pick)})


def write_card(params, gru, bigram, trigram, minutes, pieces, n_train, n_test, epochs, seed) -> None:
    model = MODEL_DIR / "layers.onnx"
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    metrics = {"version": VERSION, "sha256": digest, "parameters": params, "held_out_nll": round(gru, 4),
               "bigram_nll": round(bigram, 4), "trigram_nll": round(trigram, 4), "epochs": epochs, "seed": seed,
               "chorales": pieces, "train_lines": n_train, "held_out_lines": n_test,
               "training_minutes": round(minutes, 1)}
    (MODEL_DIR / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    render_card(metrics)


def musicality_rows() -> str:
    """Measured on the demo pack's explore and combat progressions (C minor), with and without the push."""
    from engine.generate.model import LayerModel  # noqa: PLC0415
    from engine.generate.quality import musicality  # noqa: PLC0415

    model = LayerModel(MODEL_DIR / "layers.onnx")
    progressions = [("Cm", "Cm", "Ab", "Ab", "Eb", "Eb", "Bb", "G"), ("Cm", "Ab", "Bb", "G", "Cm", "Ab", "Fm", "G")]
    rows = []
    for role in ("bass", "counter", "arpeggio"):
        raw = musicality(model, "C minor", progressions, role, chord_push=0.0, key_push=0.0)
        pushed = musicality(model, "C minor", progressions, role)
        rows.append(f"| {role} | {raw.in_key:.1%} | {raw.chord_tones:.1%} | {pushed.in_key:.1%} | "
                    f"{pushed.chord_tones:.1%} |")
    return "\n".join(rows)


def render_card(metrics: dict) -> None:
    model = MODEL_DIR / "layers.onnx"
    params, digest, gru = metrics["parameters"], metrics["sha256"], metrics["held_out_nll"]
    bigram, trigram, minutes = metrics["bigram_nll"], metrics["trigram_nll"], metrics["training_minutes"]
    pieces, n_train, n_test = metrics["chorales"], metrics["train_lines"], metrics["held_out_lines"]
    epochs, seed = metrics["epochs"], metrics["seed"]
    (MODEL_DIR / "MODEL_CARD.md").write_text(f"""# Model card: {VERSION}

A 2-layer GRU (hidden {HIDDEN}, token embedding {EMBED}) that writes one note line, a 16th note at a time,
conditioned on the chord (tones and root, relative to the tonic), the position in the bar, a density
control, the key's mode and the role (bass, melody, counter, arpeggio). Exported to ONNX (`layers.onnx`,
one step per call, hidden state in and out) and run by the engine with onnxruntime.

| | |
|---|---|
| version | {VERSION} |
| sha256 of layers.onnx | `{digest}` |
| parameters | {params:,} ({model.stat().st_size / 1024:.0f} KiB on disk) |
| data | music21's bundled Bach chorales ({pieces} four-part chorales), shipped with the music21 package |
| encoding | each chorale transposed to tonic C and quantised to 16ths; lines: bass, soprano (melody), alto and tenor (counter), and arpeggio lines made by breaking the chorale's own voicing beat by beat |
| split | by chorale, seed {seed}: {n_train} lines for training, {n_test} held out (10 % of the chorales) |
| training | {epochs} epochs, Adam, cosine schedule, 2 CPU threads, {minutes:.1f} minutes |
| held-out NLL (nats per 16th) | **{gru:.3f}** |
| bigram baseline, same split | {bigram:.3f} |
| trigram baseline, same split | {trigram:.3f} |

Musicality over the demo pack's chords (C minor; 2 progressions x 6 seeds, density 0.5). In key: natural
minor plus the leading tone. Chord tones: notes on beats 1 and 3 that belong to the bar's chord. "Model
alone" samples with no push toward the key or the chord; "as shipped" is what the engine plays.

| role | in key, model alone | chord tones, model alone | in key, as shipped | chord tones, as shipped |
|---|---|---|---|---|
{musicality_rows()}

Rebuild: `pip install -e '.[train]' && python -m engine.generate.train`. The numbers above are written
by that script; `tests/test_generate.py` recomputes the held-out loss on the shipped sample
(`held_out_sample.npz`) and checks it against this card.

Limits: trained on chorale style only (mostly quarter and eighth notes; arpeggios are broken chords);
it knows no tempo, only 16th steps. Sampling adds temperature, top-k, a register clamp and a gentle
push toward chord tones on strong beats and toward the key (see `engine/generate/model.py`).
""")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--card-only", action="store_true", help="rewrite MODEL_CARD.md from metrics.json")
    args = ap.parse_args()
    if args.card_only:
        render_card(json.loads((MODEL_DIR / "metrics.json").read_text()))
    else:
        train(args.epochs, args.seed)

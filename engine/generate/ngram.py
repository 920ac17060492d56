"""The n-gram baselines the model card compares the model with: the same tokens and the same split, and the
model's chord input: the bar's chord symbol (root, intervals, bass) with the step's place in the meter, role and
style, interpolated by Witten-Bell from that context down to a unigram. Adding the next chord and the scale to
the context as well made the trigram worse (1.44 against 1.13 nats a 16th on the held-out lines): too few
pieces share each context, so the baseline keeps the chord symbol and leaves those out. Training-only."""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from engine.generate.encoding import DENSITY, NEXT_ROOT, ROLE, SIXTEENTH, VOCAB


def _keys(conds: np.ndarray) -> tuple[list[bytes], list[bytes]]:
    """Per step: (place in the bar, role and style) and (that plus the bar's chord symbol), as hashable keys."""
    on = conds > 0.5
    place = np.packbits(np.concatenate([on[:, SIXTEENTH:DENSITY], on[:, ROLE:]], axis=1), axis=1)
    harmony = np.packbits(on[:, :NEXT_ROOT], axis=1)  # the bar's chord symbol: root, intervals, bass, tones
    return [p.tobytes() for p in place], [p.tobytes() + h.tobytes() for p, h in zip(place, harmony)]


def _contexts(tokens: np.ndarray, conds: np.ndarray, order: int):
    """Per step: its token and its contexts from the widest to the narrowest (the unigram's is ())."""
    place, harmony = _keys(conds)
    prev = [0] * (order - 1) + tokens.tolist()
    for j, tok in enumerate(tokens.tolist()):
        history = tuple(prev[j:j + order - 1])
        widest = [(history[k:], harmony[j]) for k in range(order - 1)]  # longest history first
        yield tok, [*widest, (harmony[j],), (place[j],), ()]


class NGram:
    """Interpolated Witten-Bell n-gram over tokens, conditioned like the model."""

    def __init__(self, lines: list[tuple[np.ndarray, np.ndarray]], order: int, conditioned: bool = True):
        self.order, self.conditioned = order, conditioned
        self.counts: list[Counter] = []
        self.totals: list[Counter] = []
        self.kinds: list[Counter] = []
        for tokens, conds in lines:
            for tok, contexts in self._levels(tokens, conds):
                while len(self.counts) < len(contexts):
                    self.counts.append(Counter())
                    self.totals.append(Counter())
                    self.kinds.append(Counter())
                for level, ctx in enumerate(contexts):
                    if self.counts[level][(ctx, tok)] == 0:
                        self.kinds[level][ctx] += 1
                    self.counts[level][(ctx, tok)] += 1
                    self.totals[level][ctx] += 1

    def _levels(self, tokens, conds):
        for tok, contexts in _contexts(tokens, conds, self.order):
            if not self.conditioned:  # the tokens alone: histories without the chord, then the unigram
                contexts = [c[0] for c in contexts[:self.order - 1]] + [()]
            yield tok, contexts

    def nll(self, lines: list[tuple[np.ndarray, np.ndarray]]) -> float:
        """Mean negative log-likelihood, nats per token."""
        total, count = 0.0, 0
        for tokens, conds in lines:
            for tok, contexts in self._levels(tokens, conds):
                p = 1.0 / VOCAB
                for level in range(len(contexts) - 1, -1, -1):  # narrowest first
                    ctx = contexts[level]
                    seen = self.totals[level][ctx]
                    if seen:
                        kinds = self.kinds[level][ctx]
                        p = (self.counts[level][(ctx, tok)] + kinds * p) / (seen + kinds)
                total -= math.log(p)
                count += 1
        return total / max(count, 1)

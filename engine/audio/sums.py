"""Summing pyo objects with pyo arithmetic, one link (`a + b`) per input: a Mix looks each of its inputs up through
Python in every block, several times the cost of a link, which matters where a sum grows with the score's stems."""
from __future__ import annotations


def chain(p, parts: list, stereo: bool = False) -> tuple[object, list]:
    """(the sum of `parts` in their order, the links that make it: keep them, and play or stop them with it).
    `stereo`: two channels even when the first part is mono (then on both sides; later mono parts are too)."""
    out, links = parts[0], []
    if stereo and len(out) == 1:
        out = p.Mix(out, voices=2)
        links.append(out)
    for part in parts[1:]:
        out = out + part
        links.append(out)
    return out, links

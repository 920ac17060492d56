"""The demo and broadcast renders are what they were when tests/golden/ was written: a refactor changes no
decision and no sample. (Regenerate with tests/golden/make_golden.py only after a deliberate change.)"""
from __future__ import annotations

import json

import numpy as np
import pytest

from golden import RENDERS, fingerprint, ROOT

GOLDEN = ROOT / "tests" / "golden"


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_render_matches_golden(name, tmp_path):
    want = json.loads((GOLDEN / f"{name}.json").read_text())
    got = fingerprint(name, tmp_path)
    assert got["frames"] == want["frames"] and got["sample_rate"] == want["sample_rate"]
    for i, (g, w) in enumerate(zip(got["entries"], want["entries"])):
        assert g == w, f"decision log entry {i} differs"
    assert len(got["entries"]) == len(want["entries"])
    rms, peak = np.array(got["rms"]), np.array(want["rms"])
    first = np.flatnonzero(np.abs(rms - peak) > 1e-6)
    assert not len(first), f"the audio differs from {first[0] * 0.1 if len(first) else 0:.1f} s on"
    assert np.allclose(got["peak"], want["peak"], atol=1e-6, rtol=0)
    assert got["sha256"] == want["sha256"], "same loudness in every window, but not the same samples"

"""Write the golden renders' fingerprints: run only after a deliberate change of what the engine plays.

    .venv/bin/python tests/golden/make_golden.py

A refactor must leave these unchanged (tests/test_golden.py compares them).
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from golden import RENDERS, fingerprint  # noqa: E402

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for name in RENDERS:
            (HERE / f"{name}.json").write_text(json.dumps(fingerprint(name, Path(tmp)), indent=1) + "\n")
            print(f"wrote {HERE / f'{name}.json'}")

"""The tests' tone pack, for benchmarks that need a tiny, exact machine."""
from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("segue_tests_conftest",
                                               Path(__file__).resolve().parent.parent / "tests" / "conftest.py")
_tests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tests)


def make_tone_machine(folder: Path, text: str) -> Path:
    _tests.make_pack(folder / "tones")
    return _tests.write_machine(folder, text, "machine.yaml")

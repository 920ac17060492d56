"""Helper processes of the engine (the OSC receiver, the generator): heavy Python work kept out of the audio
process, where it would hold the GIL that the audio callback needs at the start of every cycle."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


def spawn(module: str, *args: str, **popen) -> subprocess.Popen:
    """`python -m module args` with this interpreter, finding this package whether it is installed or not."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", module, *args], env=env, **popen)


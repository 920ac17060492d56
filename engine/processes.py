"""Helper processes of the engine (the OSC receiver, the generator): heavy Python work kept out of the audio
process, where it would hold the GIL that the audio callback needs at the start of every cycle."""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable

PACKAGE_ROOT = str(Path(__file__).resolve().parents[1])


def spawn(module: str, *args: str, **popen) -> subprocess.Popen:
    """`python -m module args` with this interpreter, finding this package whether it is installed or not."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-m", module, *args], env=env, **popen)


PR_SET_PDEATHSIG = 1


def dies_with_parent(sig: signal.Signals = signal.SIGKILL) -> Callable[[], None]:
    """A `preexec_fn` that has the kernel send `sig` to the child when the process that started it dies, however
    it dies (SIGKILL included), so no helper or server outlives the process that owns it. Linux only: elsewhere
    it does nothing."""
    parent = os.getpid()

    def arm() -> None:
        if sys.platform.startswith("linux"):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm

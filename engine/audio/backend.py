"""Importing pyo and booting its server without the console noise (WxPython notice, ALSA probing)."""
from __future__ import annotations

import contextlib
import ctypes
import io
import os
import subprocess
import sys
from typing import Iterator

os.environ.setdefault("PYO_GUI_WX", "0")

@contextlib.contextmanager
def quiet(fds: tuple[int, ...] = (1, 2)) -> Iterator[None]:
    """Silence C-level output (portaudio's ALSA probing, pyo's driver messages) for the duration of the block.
    What was written meanwhile is flushed into the void before the streams come back: C's stdio buffers a
    pipe's output and Python buffers its own, and either would otherwise surface later on our stdout."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(fd) for fd in fds]
    try:
        with open(os.devnull, "wb") as devnull:
            for fd in fds:
                os.dup2(devnull.fileno(), fd)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        ctypes.CDLL(None).fflush(None)
        for fd, copy in zip(fds, saved):
            os.dup2(copy, fd)
            os.close(copy)


PROBE_SECONDS = 15.0  # how long the sound-card probe may take (portaudio's ALSA scan is slow on some machines)


def pyo():
    """The pyo module. Its first import prints notices on stdout (no WxPython, no Tkinter): none reach ours."""
    if "pyo" not in sys.modules:
        with quiet(), contextlib.redirect_stdout(io.StringIO()):
            import pyo  # noqa: F401, PLC0415 - deferred so importing the engine never loads audio
    return sys.modules["pyo"]


def has_sound_card() -> bool:
    """Whether portaudio has a default output device, asked in a child process: portaudio aborts the process
    that asks (an assertion in its ALSA scan) on machines without an ALSA configuration, and may hang on a
    broken driver. A crash, a hang past PROBE_SECONDS or any error means no card."""
    from engine.processes import spawn  # noqa: PLC0415

    child = spawn("engine.audio.probe", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return child.wait(timeout=PROBE_SECONDS) == 0
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return False


def boot_manual(sample_rate: int, block: int, channels: int = 2):
    """A booted pyo Server whose clock the engine drives itself, block by block (offline and null)."""
    p = pyo()
    return _boot(p.Server(sr=sample_rate, nchnls=channels, buffersize=block, duplex=0, audio="manual"), "manual")


def boot_device(driver: str, sample_rate: int, block: int, channels: int = 2, jack_name: str = "segue",
                inputs: int = 0):
    """A booted pyo Server on a real driver, 'portaudio' or 'jack', whose own thread runs the blocks.
    `inputs`: live input channels to open (for a sidechain), 0 for output only."""
    p = pyo()
    duplex = {"duplex": 1, "ichnls": inputs} if inputs else {"duplex": 0}
    if driver == "jack":
        server = p.Server(sr=sample_rate, nchnls=channels, buffersize=block, audio="jack", jackname=jack_name,
                          **duplex)
        server.setJackAuto(False, True)  # outputs to the system; connect the mic to our inputs yourself
        return _boot(server, driver, " (is a JACK server running? start one with e.g. `jackd -d dummy -r 48000 -p 256`)")
    if driver != "portaudio":
        raise ValueError(f"unknown audio driver '{driver}' (portaudio or jack)")
    if not has_sound_card():  # pyo crashes when portaudio has no output device
        raise RuntimeError("portaudio finds no output device (no sound card); use --audio null, offline or jack")
    return _boot(p.Server(sr=sample_rate, nchnls=channels, buffersize=block, audio="portaudio", **duplex), driver)


def _boot(server, driver: str, hint: str = ""):
    server.setVerbosity(1)
    with quiet():
        server.boot()
    if not server.getIsBooted():
        raise RuntimeError(f"the {driver} audio driver did not start{hint}")
    return server

"""Keep the audio thread's Python thread state alive from one block to the next.

pyo calls into Python from the driver's thread (JACK's process thread) with PyGILState_Ensure/Release. That
thread has no Python thread state of its own, so each block CPython made one and destroyed it again, and with
it the 16 KiB frame stack it maps for the first Python call: an mmap, page faults and a munmap in the
real-time thread on every block (strace counted 750 pairs a second at 64 frames). One extra Ensure, never
released, keeps the state for the thread's life; pyo's own Ensure/Release pairs then only take and give the GIL.
"""
from __future__ import annotations

import ctypes
import threading

_pinned: set[int] = set()


def keep_thread_state() -> None:
    """Call at the start of every audio block; only the first call in each thread does anything."""
    ident = threading.get_ident()
    if ident not in _pinned:
        ctypes.pythonapi.PyGILState_Ensure()
        _pinned.add(ident)

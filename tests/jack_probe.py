"""A JACK client that records one port and notes when each cycle began and when its own callback ran; saves all
to .npz. (Xruns are counted, and blamed, from jackd's log: tests/jackrig.py.)

    python tests/jack_probe.py PORT_REGEX SECONDS OUT.npz
Prints 'ready' once connected; stops after SECONDS or on SIGINT.

A cycle's samples reach the sound card at a fixed offset from the cycle's start, whatever the clients before
us spent computing them; so a sample's time is JACK's cycle start (jack_get_cycle_times, moved onto
perf_counter's clock) plus its offset. The probe's own callback time is kept too: their difference is how late
in the cycle the graph upstream of us finished.
"""
from __future__ import annotations

import ctypes
import signal
import sys
import threading
import time

import jack
import numpy as np


def _cycle_clock(client: jack.Client):
    """A function giving the current cycle's start on perf_counter_ns's clock (JACK-Client lacks
    jack_get_cycle_times, so libjack is called directly)."""
    lib = ctypes.CDLL("libjack.so.0")
    lib.jack_get_time.restype = ctypes.c_uint64
    lib.jack_get_cycle_times.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_uint32),
                                         ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64),
                                         ctypes.POINTER(ctypes.c_float)]
    handle = int(jack._ffi.cast("uintptr_t", client._ptr))
    frames, start, nxt, period = ctypes.c_uint32(), ctypes.c_uint64(), ctypes.c_uint64(), ctypes.c_float()
    refs = ctypes.byref(frames), ctypes.byref(start), ctypes.byref(nxt), ctypes.byref(period)

    def cycle_start_ns() -> int:
        lib.jack_get_cycle_times(handle, *refs)
        now_ns, now_us = time.perf_counter_ns(), lib.jack_get_time()
        return now_ns - (now_us - start.value) * 1000

    return cycle_start_ns


def main(pattern: str, seconds: float, out: str) -> None:
    client = jack.Client("segue-probe", no_start_server=True)
    cycle_start_ns = _cycle_clock(client)
    rate, block = client.samplerate, client.blocksize
    frames = int(seconds * rate) + block
    audio = np.zeros(frames, dtype=np.float32)
    # (JACK frame time, cycle start, our callback's start), the times in perf_counter_ns
    cycles = np.zeros((frames // block + 1, 3), dtype=np.int64)
    state = {"n": 0, "cycle": 0}
    port = client.inports.register("in")

    @client.set_process_callback
    def process(nframes):
        started = time.perf_counter_ns()
        c, n = state["cycle"], state["n"]
        if n + nframes <= frames:
            audio[n:n + nframes] = port.get_array()
            cycles[c] = (client.last_frame_time, cycle_start_ns(), started)
            state["n"], state["cycle"] = n + nframes, c + 1

    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    client.activate()
    deadline = time.monotonic() + 20
    while True:
        sources = client.get_ports(pattern, is_output=True, is_audio=True)
        if sources or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    if not sources:
        raise SystemExit(f"no JACK output port matches {pattern!r}")
    client.connect(sources[0], port)
    print("ready", flush=True)
    stop.wait(seconds)
    client.deactivate()
    client.close()
    np.savez(out, audio=audio[:state["n"]], cycles=cycles[:state["cycle"]], rate=rate,
             block=block)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3])

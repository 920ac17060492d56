"""A JACK client that records one port, notes when each cycle ran, and counts xruns; saves all to .npz.

    python tests/jack_probe.py PORT_REGEX SECONDS OUT.npz
Prints 'ready' once connected; stops after SECONDS or on SIGINT.
"""
from __future__ import annotations

import signal
import sys
import threading
import time

import jack
import numpy as np


def main(pattern: str, seconds: float, out: str) -> None:
    client = jack.Client("segue-probe", no_start_server=True)
    rate, block = client.samplerate, client.blocksize
    frames = int(seconds * rate) + block
    audio = np.zeros(frames, dtype=np.float32)
    cycles = np.zeros((frames // block + 1, 2), dtype=np.int64)  # (JACK frame time, perf_counter_ns)
    state = {"n": 0, "cycle": 0, "xruns": 0}
    port = client.inports.register("in")

    @client.set_process_callback
    def process(nframes):
        started = time.perf_counter_ns()
        c, n = state["cycle"], state["n"]
        if n + nframes <= frames:
            audio[n:n + nframes] = port.get_array()
            cycles[c] = (client.last_frame_time, started)
            state["n"], state["cycle"] = n + nframes, c + 1

    client.set_xrun_callback(lambda delay: state.__setitem__("xruns", state["xruns"] + 1))
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
    state["xruns"] = 0  # count from here: start-up is not what we measure
    print("ready", flush=True)
    stop.wait(seconds)
    client.deactivate()
    client.close()
    np.savez(out, audio=audio[:state["n"]], cycles=cycles[:state["cycle"]], xruns=state["xruns"], rate=rate,
             block=block)
    print(f"done {state['xruns']} xruns", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), sys.argv[3])

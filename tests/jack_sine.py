"""The trivial baseline: a JACK client that plays a sine while the last OSC message was /on, silence after /off.
/stall makes its next cycle overrun (a known xrun of its own making, to check that xruns are blamed right).

    python tests/jack_sine.py UDP_PORT
"""
from __future__ import annotations

import socket
import sys
import threading
import time

import jack
import numpy as np
from pythonosc.osc_message import OscMessage


def main(port: int) -> None:
    client = jack.Client("segue-sine", no_start_server=True)
    out = client.outports.register("out")
    rate = client.samplerate
    state = {"on": False, "phase": 0.0, "stall": False}

    @client.set_process_callback
    def process(nframes):
        buf = out.get_array()
        if state["stall"]:
            state["stall"] = False
            time.sleep(3 * nframes / rate)  # time passing is the point: an overrun of three cycles, on purpose
        if state["on"]:
            t = state["phase"] + np.arange(nframes)
            buf[:] = 0.2 * np.sin(2 * np.pi * 440.0 * t / rate)
            state["phase"] = (state["phase"] + nframes) % rate
        else:
            buf[:] = 0.0

    def listen():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", port))
            while True:
                address = OscMessage(sock.recv(1024)).address
                if address in ("/on", "/off"):
                    state["on"] = address == "/on"
                elif address == "/stall":
                    state["stall"] = True

    threading.Thread(target=listen, daemon=True).start()
    client.activate()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(int(sys.argv[1]))

"""scsynth (SuperCollider's server, Debian's supercollider-server) playing stem files from disk with DiskIn, as
the comparison for the engine's CPU per audible stem. No sclang needed: the one SynthDef is written here in
SuperCollider's binary format (SCgf version 2), and the server is driven over OSC (UDP).

    with Scsynth(env) as sc:          # env: JACK_DEFAULT_SERVER names the server to play under
        sc.play(paths)                # one DiskIn synth per stereo file, looping, all into buses 0-1
"""
from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

DEF = "segue_diskin"
DISK_FRAMES = 65536  # DiskIn's buffer: a multiple of twice the block; 1.4 s at 48 kHz


def installed() -> str | None:
    return shutil.which("scsynth")


def _pstring(s: str) -> bytes:
    return struct.pack(">B", len(s)) + s.encode()


def synthdef() -> bytes:
    """`SynthDef(\\segue_diskin, { |bufnum, out| Out.ar(out, DiskIn.ar(2, bufnum, loop: 1)) })`, compiled."""
    control = _pstring("Control") + struct.pack(">biih", 1, 0, 2, 0) + struct.pack(">bb", 1, 1)
    diskin = (_pstring("DiskIn") + struct.pack(">biih", 2, 2, 2, 0)
              + struct.pack(">iiii", 0, 0, -1, 0) + struct.pack(">bb", 2, 2))
    out = (_pstring("Out") + struct.pack(">biih", 2, 3, 0, 0)
           + struct.pack(">iiiiii", 0, 1, 1, 0, 1, 1))
    body = (_pstring(DEF) + struct.pack(">i", 1) + struct.pack(">f", 1.0)  # constants: [1.0] (loop)
            + struct.pack(">i", 2) + struct.pack(">ff", 0.0, 0.0)  # parameters and their initial values
            + struct.pack(">i", 2) + _pstring("bufnum") + struct.pack(">i", 0) + _pstring("out")
            + struct.pack(">i", 1) + struct.pack(">i", 3) + control + diskin + out + struct.pack(">h", 0))
    return b"SCgf" + struct.pack(">ih", 2, 1) + body


def _message(address: str, *args) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a, "b" if isinstance(a, bytes) else None)
    return b.build().dgram


class Scsynth:
    def __init__(self, env: dict, port: int, outputs: int = 2):
        self.env, self.port, self.outputs = env, port, outputs
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None

    def __enter__(self) -> "Scsynth":
        self.proc = subprocess.Popen([installed(), "-u", str(self.port), "-i", "0", "-o", str(self.outputs), "-R", "0",
                                      "-D", "0"], env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        deadline, seen = time.monotonic() + 20, []
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            seen.append(line)
            if "server ready" in line:
                break
            if not line and self.proc.poll() is not None:
                raise RuntimeError("scsynth did not start: " + "".join(seen)[-2000:])
        else:
            raise RuntimeError("scsynth did not start: " + "".join(seen)[-2000:])
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.settimeout(10)
        self.ask("/d_recv", synthdef(), expect="/done")
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def ask(self, address: str, *args, expect: str = "/done") -> list:
        """Send a command and wait for its reply (`/fail` raises)."""
        self.sock.sendto(_message(address, *args), ("127.0.0.1", self.port))
        while True:
            reply = OscMessage(self.sock.recv(65536))
            if reply.address == "/fail":
                raise RuntimeError(f"scsynth: {address}: {reply.params}")
            if reply.address == expect:
                return reply.params

    def play(self, paths: list[Path]) -> int:
        """One looping DiskIn synth per file; returns the number of synths the server says it runs."""
        for i, path in enumerate(paths):
            self.ask("/b_alloc", i, DISK_FRAMES, 2)
            self.ask("/b_read", i, str(path), 0, DISK_FRAMES, 0, 1)  # leave the file open: DiskIn streams it
        for i in range(len(paths)):
            self.sock.sendto(_message("/s_new", DEF, 1000 + i, 0, 0, "bufnum", i), ("127.0.0.1", self.port))
        time.sleep(0.2)
        return int(self.ask("/status", expect="/status.reply")[2])

    def run(self, synths, running: bool) -> None:
        """Pause (False) or resume the synths play() started, by their index (`/n_run`; a paused DiskIn reads
        nothing), then wait for the server to have done it."""
        for i in synths:
            self.sock.sendto(_message("/n_run", 1000 + i, int(running)), ("127.0.0.1", self.port))
        self.ask("/sync", 1, expect="/synced")

    def __exit__(self, *exc) -> None:
        if self.sock:
            try:
                self.sock.sendto(_message("/quit"), ("127.0.0.1", self.port))
            except OSError:
                pass
            self.sock.close()
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

"""The `segue` command at a terminal and in a pipe: progress on stderr only when it is a terminal, a reader that
goes away (`| head`), and a monitor with no engine to watch. Each through the real command in a real process."""
from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time

from conftest import ROOT
from jackrig import free_udp_port

DEMO = ROOT / "statemachines" / "demo.yaml"
SCRIPT = ROOT / "statemachines" / "demo.telemetry.yaml"
COMMAND = [sys.executable, "-m", "engine.cli"]


def render_args(out) -> list[str]:
    return ["render", str(DEMO), "--telemetry", str(SCRIPT), "--out", str(out), "--seconds", "12",
            "--normalize", "broadcast"]


def on_a_terminal(args: list[str]) -> tuple[int, str, str]:
    """Run with stderr on a pseudo-terminal (100 columns) and stdout on a pipe: (exit code, stdout, terminal)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    proc = subprocess.Popen(COMMAND + args, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
                            cwd=ROOT, env={**os.environ, "TERM": "xterm-256color"})
    os.close(slave)
    screen: list[bytes] = []

    def drain() -> None:  # a full terminal buffer would block the command
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command has exited and closed its end
                return
            if not data:
                return
            screen.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        out, _ = proc.communicate(timeout=120)
    finally:
        proc.kill()
        reader.join(10)
        os.close(master)
    return proc.returncode, out.decode(), b"".join(screen).decode(errors="replace")


def test_a_render_at_a_terminal_shows_progress_on_stderr_and_stdout_stays_the_same(tmp_path):
    code, out, screen = on_a_terminal(render_args(tmp_path / "tty.wav"))
    assert code == 0, screen[-2000:]
    for stage in ("rendering", "reading the render", "measuring loudness", "normalizing", "writing",
                  "measuring again"):
        assert stage in screen, stage
    assert "100%" in screen
    piped = subprocess.run(COMMAND + render_args(tmp_path / "pipe.wav"), capture_output=True, text=True, cwd=ROOT,
                           timeout=120)
    assert piped.returncode == 0 and piped.stderr == ""  # no progress when stderr is not a terminal
    same = lambda text: [line.replace("tty.wav", "pipe.wav").replace("tty.decisions", "pipe.decisions")  # noqa: E731
                         for line in text.splitlines() if not line.startswith("rendered ")]  # (its wall time)
    assert "\x1b" not in out and same(out) == same(piped.stdout)
    assert out.splitlines()[0].startswith("loudness: ") and out.splitlines()[1].startswith("normalized by ")


def test_a_render_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    """`segue render ... | head -1`: no BrokenPipeError traceback and nothing else on stderr. Whether the pipe breaks
    depends on when head exits (the lines may all fit in the pipe before it does): exit 1 if it broke, else 0."""
    r = subprocess.run(f"{' '.join(COMMAND)} {' '.join(render_args(tmp_path / 'a.wav'))} | head -1; "
                       "echo \"segue=${PIPESTATUS[0]}\" >&2", shell=True, executable="/bin/bash",
                       capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.stdout.startswith("loudness: ") and len(r.stdout.splitlines()) == 1
    assert r.stderr in ("segue=0\n", "segue=1\n"), r.stderr


def test_a_render_whose_reader_is_gone_before_it_prints_exits_1_without_a_traceback(tmp_path):
    """The reader closes its end before the render prints anything: the first write breaks the pipe, always."""
    proc = subprocess.Popen(COMMAND + render_args(tmp_path / "b.wav"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert (proc.returncode, err.decode()) == (1, "")
    assert (tmp_path / "b.wav").exists()  # the render itself was complete: only its report had no reader


def test_monitor_without_an_engine_says_so_in_one_line_and_exits_non_zero():
    port = free_udp_port()  # nobody answers there
    started = time.monotonic()
    r = subprocess.run(COMMAND + ["monitor", "--port", str(port), "--timeout", "1"], capture_output=True,
                       text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 1 and r.stdout == ""  # nothing drawn before an engine answers
    assert r.stderr == f"segue: no answer from an engine at 127.0.0.1:{port} within 1 s " \
                       f"(is `segue run` running there?)\n"
    assert time.monotonic() - started < 30

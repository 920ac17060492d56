"""The test rig's own waits on other processes keep their deadlines (tests/jackrig.py)."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from jackrig import wait_line

TALKS_THEN_HANGS = "import sys, time; print('one'); print('two', flush=True); sys.stderr.write('why'); time.sleep(60)"


def spawn() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", TALKS_THEN_HANGS], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def test_a_line_that_never_comes_fails_on_time_with_the_stderr():
    proc = spawn()
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="no 'three' within 1 s.*why"):
        wait_line(proc, "three", timeout=1.0)
    assert time.monotonic() - started < 10  # the deadline, and a bounded read of stderr
    assert proc.wait(5) is not None  # killed


def test_lines_after_the_one_waited_for_are_left_to_read():
    proc = spawn()
    try:
        assert wait_line(proc, "one").strip() == "one"
        assert proc.stdout.readline().strip() == "two"
    finally:
        proc.kill()
        proc.wait(5)

"""A new user's first minutes on machines unlike ours: no ALSA configuration, a sound card, no Tkinter, a test
run killed half-way. Each through the real command in a real process."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

from audio import read
from conftest import ROOT
from jackrig import free_udp_port, wait_line
from waiting import wait_until


def segue_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def test_without_an_alsa_configuration_the_demo_renders_instead_of_aborting(tmp_path):
    """A fresh Debian has no ALSA configuration; portaudio then aborts the process that scans for devices."""
    out = tmp_path / "demo.wav"
    r = subprocess.run([sys.executable, "-m", "engine", "demo", "--out", str(out)], capture_output=True, text=True,
                       cwd=tmp_path, timeout=300, env=segue_env(ALSA_CONFIG_PATH=str(tmp_path / "no-alsa.conf")))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no sound card found; rendering the demo" in r.stdout and f"audio: {out}" in r.stdout
    assert len(read(out)) == 56 * 48000


def test_on_a_sound_card_the_demo_plays_live(tmp_path):
    """ALSA's null PCM as the default device: portaudio sees an output, as on a desktop with a card. Given as
    ALSA's whole configuration, so it works on machines with no ALSA configuration files at all."""
    (tmp_path / "alsa.conf").write_text("pcm.!default { type null }\n")
    port = free_udp_port()
    demo = subprocess.Popen([sys.executable, "-m", "engine", "demo", "--osc-port", str(port)], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=segue_env(ALSA_CONFIG_PATH=str(tmp_path / "alsa.conf"), PYTHONUNBUFFERED="1",
                                          PYTHONFAULTHANDLER="1"))
    try:
        playing = wait_line(demo, "playing", timeout=60)
        assert "(portaudio audio)" in playing and f"OSC on 127.0.0.1:{port}" in playing
        wait_line(demo, "-> explore", timeout=30)  # the machine runs: its first state is announced
        demo.send_signal(signal.SIGINT)
        try:
            out, err = demo.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # show where it hangs: faulthandler prints every thread on SIGABRT
            demo.send_signal(signal.SIGABRT)
            out, err = demo.communicate(timeout=10)
            raise AssertionError(f"the demo did not stop on Ctrl-C:\n{out[-3000:]}\n{err[-6000:]}") from None
    finally:
        demo.kill()
    assert demo.returncode == 0, err[-2000:]
    assert "rendering" not in out and "Traceback" not in err
    assert " blocks of 5.33 ms" in out and " 0 faults" in out


def test_nothing_of_pyo_reaches_our_stdout_when_tkinter_is_missing(tmp_path):
    """pyo prints a notice about GUI toolkits when it is imported on a Python without Tkinter."""
    out = tmp_path / "riff.wav"
    code = ("import sys; sys.modules['tkinter'] = None; from engine.cli import main; "
            f"sys.exit(main(['generate', '--key', 'C major', '--chords', 'C,G', '--bpm', '100', '--bars', '2', "
            f"'--out', {str(out)!r}]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                       env=segue_env())
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines()[-2:] == [f"written: {out}", f"provenance: {out.with_suffix('.provenance.json')}"]
    assert "Tkinter" not in r.stdout + r.stderr and "WxPython" not in r.stdout + r.stderr


def test_a_killed_test_run_leaves_no_jackd_behind(tmp_path):
    """The JACK fixture's server dies with the process that started it, even one killed with SIGKILL."""
    code = ("import sys, time; sys.path[:0] = [sys.argv[1]]; from jackrig import JackServer\n"
            "with JackServer(period=256) as jack:\n"
            "    print(jack.proc.pid, flush=True); time.sleep(120)\n")  # held (time passing) until killed
    holder = subprocess.Popen([sys.executable, "-c", code, str(ROOT / "tests")], stdout=subprocess.PIPE, text=True,
                              env=segue_env())
    jackd = 0
    try:
        jackd = int(holder.stdout.readline())
        assert os.path.exists(f"/proc/{jackd}")
        holder.kill()
        holder.wait(timeout=10)
        wait_until(lambda: not running(jackd), 10, "jackd ending with the process that started it")
    finally:
        holder.kill()
        if jackd and running(jackd):  # never leave one behind, even when the check fails
            os.kill(jackd, signal.SIGKILL)


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False

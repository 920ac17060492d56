"""`segue render` as a user runs it, when writing goes wrong: a full disk, an output named like an input, a folder.
Each is one line and a non-zero exit, and no file is left that was not completely written (nor one overwritten)."""
from __future__ import annotations

import resource
import shutil
import signal
import subprocess
import sys

import pytest

from conftest import MACHINE, ROOT, write_machine

SCRIPT = "duration: 1\nmessages:\n  - {at: 0.5, address: /segue/param/intensity, args: [1.0]}\n"


def segue(*args, limit_bytes: int | None = None):
    def full_disk():  # as `ulimit -f`; with SIGXFSZ ignored a write past the limit fails (EFBIG), not the process
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, preexec_fn=full_disk if limit_bytes else None)


def test_a_full_disk_fails_the_render_with_one_line_and_leaves_no_file(machine_path, tmp_path):
    out = tmp_path / "full" / "render.wav"
    r = segue("render", machine_path, "--seconds", 10, "--out", out, limit_bytes=2048 * 1024)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith(f"segue: cannot write {out}: ") and r.stderr.count("\n") == 1
    assert "of 10.00 s reached the disk" in r.stderr
    assert list(out.parent.iterdir()) == []  # no WAV, no log, no partial


@pytest.mark.parametrize("victim", ["machine", "telemetry", "stem", "pack"])
def test_an_output_named_like_an_input_is_refused_and_the_input_kept(tone_pack, tmp_path, victim):
    pack = shutil.copytree(tone_pack, tmp_path / "tones")  # a copy: were the check to fail, only it is lost
    machine = write_machine(tmp_path, MACHINE, "victim.yaml")
    script = tmp_path / "victim.telemetry.yaml"
    script.write_text(SCRIPT)
    out = {"machine": machine, "telemetry": script, "stem": pack / "calm" / "a.wav", "pack": pack / "pack.yaml"}[victim]
    before = out.read_bytes()
    r = segue("render", machine, "--telemetry", script, "--seconds", 1, "--out", out)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr == f"segue: {out} is one of the inputs of this render; it would be overwritten, so choose " \
                       "another file name\n"
    assert out.read_bytes() == before
    assert not list(out.parent.glob(".*partial*"))


def test_an_output_that_is_a_folder_is_refused_with_one_line_and_no_partial(machine_path, tmp_path):
    folder = tmp_path / "renders"
    folder.mkdir()
    r = segue("render", machine_path, "--seconds", 1, "--out", folder)
    assert r.returncode == 1
    assert r.stderr == f"segue: {folder} is a folder; give a file name, e.g. {folder / 'render.wav'}\n"
    assert list(tmp_path.iterdir()) == [folder] and list(folder.iterdir()) == []


def test_the_wav_and_its_log_are_published_together(machine_path, tmp_path):
    out = tmp_path / "both.wav"
    r = segue("render", machine_path, "--seconds", 1, "--out", out)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["both.decisions.json", "both.wav"]

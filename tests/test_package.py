"""The package a user installs: the wheel carries the demo, and the installed command finds it from any folder."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from engine.score.packfile import load_pack

from conftest import ROOT

BUNDLE = PurePosixPath("segue_data")  # where pyproject.toml's package-dir puts statemachines/ and stems/demo


def segue(*args, **kw):
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=60, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built as a user's `pip install .` builds it, from a clean copy of the tree (a build in the tree
    itself would leave build/ behind, whose stale files a later wheel would carry)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "out",
                                                                "__pycache__", ".benchmarks"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"),
                        str(source)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    (built,) = (tmp / "dist").glob("segue-*.whl")
    return built


def test_the_wheel_carries_the_demo_machine_its_script_and_every_file_its_pack_names(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    machines = BUNDLE / "statemachines"
    assert {str(machines / f) for f in ("demo.yaml", "demo.telemetry.yaml", "broadcast.yaml",
                                        "broadcast.telemetry.yaml", "schema.json")} <= names
    # demo.yaml names its pack relative to itself, as in the repository
    assert "pack: ../stems/demo" in zipfile.ZipFile(wheel).read(str(machines / "demo.yaml")).decode()
    pack_folder = ROOT / "stems" / "demo"
    pack = load_pack(pack_folder)
    named = [path for segment in pack.segments.values() for path in segment.stems.values()]
    named += list(pack.oneshots.values()) + [pack_folder / "pack.yaml", pack_folder / "commentary.flac"]
    inside = {str(BUNDLE / "stems" / "demo" / Path(p).resolve().relative_to(pack_folder.resolve()).as_posix())
              for p in named}
    assert len(inside) >= 15 and not inside - names, sorted(inside - names)
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "stems/make_demo"))]


def test_the_installed_package_finds_its_demo_without_the_repository(wheel, tmp_path):
    """Unpacked where nothing else is (as pip would), run from another folder with no source tree on the path:
    the demo machine comes from the package, and the demo renders."""
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target",
                        str(site), str(wheel)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "from engine.cli import bundled; print(bundled('demo.yaml'))"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert where.stdout.strip() == str(site / "segue_data" / "statemachines" / "demo.yaml"), where.stderr
    out = tmp_path / "elsewhere" / "demo.wav"
    demo = segue("demo", "--render", "--out", out, cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stderr[-2000:]
    assert f"audio: {out}" in demo.stdout and out.stat().st_size > 56 * 48000 * 2 * 4


def test_every_engine_module_and_data_file_is_in_the_wheel(wheel):
    """pyproject.toml lists the packages (the demo's data packages need package-dir, which rules out `find`): a
    new engine folder must be listed there, or the installed command would miss it."""
    names = set(zipfile.ZipFile(wheel).namelist())
    on_disk = {p.relative_to(ROOT).as_posix() for p in (ROOT / "engine").rglob("*.py") if "__pycache__" not in p.parts}
    on_disk |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "engine" / "generate" / "model").iterdir()}
    missing = sorted(on_disk - names)
    assert not missing, f"not in the wheel (list their packages in pyproject.toml's [tool.setuptools]): {missing}"


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version

    r = segue("--version", cwd=ROOT)
    assert r.returncode == 0 and r.stdout == f"segue {version('segue')}\n"


def test_plain_segue_prints_the_help_and_exits_as_a_usage_error():
    """No command is a usage error, as argparse treats a missing argument (exit 2); the whole help, on stderr,
    lists every command."""
    r = segue(cwd=ROOT)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("usage: segue")
    for command in ("demo", "run", "render", "generate", "graph", "monitor", "validate"):
        assert f"\n    {command} " in r.stderr, command

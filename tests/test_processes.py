"""engine/processes.py on its own: a helper process imports this package (not another copy installed elsewhere)
from any folder, with or without a Python path of the caller's, which it keeps after the package's."""
from __future__ import annotations

import os
import subprocess

import pytest

from engine.processes import PACKAGE_ROOT, spawn

WHERE = "import os, engine; print(os.environ['PYTHONPATH']); print(engine.__file__)"


@pytest.mark.parametrize("callers_path", [None, "elsewhere"])
def test_a_helper_imports_this_package_from_any_folder_and_keeps_the_callers_path(tmp_path, monkeypatch,
                                                                                  callers_path):
    (tmp_path / "where_am_i.py").write_text(WHERE)  # found in the folder it is started in (`python -m`)
    if callers_path:
        monkeypatch.setenv("PYTHONPATH", str(tmp_path / callers_path))
    else:
        monkeypatch.delenv("PYTHONPATH", raising=False)
    proc = spawn("where_am_i", cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    path, engine_file = proc.communicate(timeout=60)[0].splitlines()
    assert path.split(os.pathsep) == [PACKAGE_ROOT] + ([str(tmp_path / callers_path)] if callers_path else [])
    assert engine_file == os.path.join(PACKAGE_ROOT, "engine", "__init__.py")

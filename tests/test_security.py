"""Secure by default: loopback only unless told, no code from data, YAML through the safe loader only."""
from __future__ import annotations

import ast

from engine.cli import _parser
from engine.session import EngineConfig

from conftest import ROOT

ENGINE_FILES = sorted((ROOT / "engine").rglob("*.py"))


def builtin_calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield node.func.id


def test_no_eval_exec_pickle_or_unsafe_yaml_anywhere_in_the_engine():
    for path in ENGINE_FILES:
        tree = ast.parse(path.read_text())
        assert not set(builtin_calls(tree)) & {"eval", "exec", "compile", "__import__"}, path
        assert "yaml.load(" not in path.read_text() and "yaml.unsafe_load" not in path.read_text(), path
        assert "import pickle" not in path.read_text() and "marshal" not in path.read_text(), path
        for node in ast.walk(tree):  # yaml is only ever composed with the SafeLoader
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    isinstance(node.func.value, ast.Name) and node.func.value.id == "yaml":
                assert node.func.attr in ("compose", "safe_load"), f"{path}: yaml.{node.func.attr}"
                if node.func.attr == "compose":
                    assert any(k.arg == "Loader" and ast.unparse(k.value) == "yaml.SafeLoader" for k in node.keywords)


def test_the_defaults_listen_on_loopback_only():
    assert EngineConfig().osc_host == "127.0.0.1" and EngineConfig().allow is None
    run = _parser().parse_args(["run", "x.yaml"])
    assert run.osc_host == "127.0.0.1" and run.allow is None


def test_an_engine_bound_to_all_interfaces_still_refuses_strangers_by_default():
    from engine.osc.security import Gate, parse_allowlist  # noqa: PLC0415

    gate = Gate(parse_allowlist(None))
    assert gate.allowed("127.0.0.1") and gate.allowed("::1")
    assert not gate.allowed("192.168.1.20") and not gate.allowed("10.0.0.1") and not gate.allowed("8.8.8.8")

"""YAML read as a node tree, so every value keeps its file:line:column for error messages.

Only PyYAML's SafeLoader is used (compose, never construct arbitrary objects). Aliases are
resolved to shared nodes; the walk counts nodes so an alias bomb is refused, not expanded.
"""
from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import Problem, ValidationError

MAX_NODES = 100_000
MAX_DEPTH = 64
MAX_BYTES = 2_000_000


class Doc:
    """One YAML file: its root node plus the problems found while reading it."""

    def __init__(self, path: Path, root: Node | None):
        self.path = path
        self.root = root
        self.problems: list[Problem] = []
        self.notes: list[Problem] = []  # worth knowing, not wrong: `validate` prints them and still passes

    @classmethod
    def load(cls, path: Path) -> "Doc":
        path = Path(path)
        data = _read_at_most(path, MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ValidationError([Problem(str(path), 1, 1, f"file is larger than {MAX_BYTES} bytes")])
        try:
            root = yaml.compose(data.decode("utf-8"), Loader=yaml.SafeLoader)
        except UnicodeDecodeError as exc:
            raise ValidationError([Problem(str(path), 1, 1, f"not UTF-8 text: {exc.reason}")])
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            raise ValidationError([Problem(str(path), line, col, f"YAML syntax: {exc.problem or exc}")])
        except yaml.YAMLError as exc:
            raise ValidationError([Problem(str(path), 1, 1, f"YAML: {exc}")])
        except RecursionError:
            raise ValidationError([Problem(str(path), 1, 1, "document is too deeply nested")]) from None
        doc = cls(path, root)
        if root is not None:
            doc._check_size(root)
        return doc

    def _check_size(self, root: Node) -> None:
        """Count nodes as a walk would see them, aliases expanded, and stop early when too many."""
        count = 0
        stack: list[tuple[Node, int]] = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            count += 1
            if depth > MAX_DEPTH:
                raise ValidationError([self.problem(node, "document is too deeply nested")])
            if count > MAX_NODES:  # aliases reused over and over: report the document, not one alias
                raise ValidationError([self.problem(root, f"document expands to more than {MAX_NODES} values "
                                                          "(alias bomb?)")])
            if isinstance(node, SequenceNode):
                stack.extend((child, depth + 1) for child in node.value)
            elif isinstance(node, MappingNode):
                for k, v in node.value:
                    stack.append((k, depth + 1))
                    stack.append((v, depth + 1))

    # -- reporting -------------------------------------------------------------------------
    def problem(self, node: Node | None, message: str, column_offset: int = 0) -> Problem:
        if node is None:
            return Problem(str(self.path), 1, 1, message)
        mark = node.start_mark
        return Problem(str(self.path), mark.line + 1, mark.column + 1 + column_offset, message)

    def note(self, node: Node | None, message: str) -> None:
        self.notes.append(self.problem(node, f"note: {message}"))

    def error(self, node: Node | None, message: str, column_offset: int = 0) -> None:
        self.problems.append(self.problem(node, message, column_offset))

    def raise_if_problems(self) -> None:
        if self.problems:
            raise ValidationError(self.problems)

    # -- typed access; each returns None (and records a problem) when the node is wrong ------
    def mapping(self, node: Node | None, what: str, allowed: set[str] | None = None,
                required: tuple[str, ...] = ()) -> dict[str, tuple[Node, Node]] | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping of key: value")
            return None
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, f"{what}: keys must be plain names")
                continue
            key = str(key_node.value)
            if key in out:
                self.error(key_node, f"{what}: duplicate key '{key}'")
                continue
            if allowed is not None and key not in allowed:
                self.error(key_node, f"{what}: unknown key '{key}' (expected one of: {', '.join(sorted(allowed))})")
                continue
            out[key] = (key_node, value_node)
        for key in required:
            if key not in out:
                self.error(node, f"{what}: missing required key '{key}'")
        return out

    def sequence(self, node: Node, what: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list")
            return None
        return list(node.value)

    def scalar(self, node: Node, what: str) -> Any:
        if not isinstance(node, ScalarNode):
            self.error(node, f"{what} must be a single value, not a {'list' if isinstance(node, SequenceNode) else 'mapping'}")
            return None
        try:
            return _SAFE.construct_object(node)
        except yaml.YAMLError:  # e.g. a !!python/... tag: never constructed, only reported
            self.error(node, f"{what}: the YAML tag {node.tag} is not allowed here (plain values only)")
            return None

    def string(self, node: Node, what: str) -> str | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        if isinstance(value, bool) and isinstance(node, ScalarNode) and node.style is None:
            self.error(node, f"{what}: YAML reads {node.value} as {str(value).lower()}; put it in quotes: "
                             f"'{node.value}'")
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(node, f"{what} must be a non-empty text, got {value!r}")
            return None
        return value.strip()

    def number(self, node: Node, what: str, lo: float = -math.inf, hi: float = math.inf) -> float | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            self.error(node, f"{what} must be a number, got {value!r}")
            return None
        if not lo <= value <= hi:
            self.error(node, f"{what} must be between {lo:g} and {hi:g}, got {value!r}")
            return None
        return float(value)

    def integer(self, node: Node, what: str, lo: int, hi: int) -> int | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.error(node, f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        value = self.scalar(node, what)
        if value is None:
            return None
        if not isinstance(value, bool):
            self.error(node, f"{what} must be true or false, got {value!r}")
            return None
        return value


def items(mapping: dict[str, tuple[Node, Node]] | None) -> Iterator[tuple[str, Node, Node]]:
    for key, (key_node, value_node) in (mapping or {}).items():
        yield key, key_node, value_node


class _ScalarConstructor(yaml.constructor.SafeConstructor):
    pass


_SAFE = _ScalarConstructor()


def _read_at_most(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file: a huge file costs no more memory than the limit, and a device,
    FIFO or socket (/dev/zero never ends; a FIFO would block the open) is refused without reading it."""
    def refuse(why: str) -> ValidationError:
        return ValidationError([Problem(str(path), 1, 1, why)])

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror or exc}") from None
    mode = os.fstat(fd).st_mode  # before fdopen, which refuses a folder with an error of its own
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise refuse("is a folder, not a file" if stat.S_ISDIR(mode) else
                     "not a regular file (a device, pipe or socket cannot be a YAML document)")
    with os.fdopen(fd, "rb") as f:
        try:
            return f.read(limit)
        except OSError as exc:
            raise refuse(f"cannot read file: {exc.strerror or exc}") from None

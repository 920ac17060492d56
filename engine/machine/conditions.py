"""Transition conditions in a small, safe grammar, parsed once and never evaluated as Python.

    condition := or
    or        := and ('or' and)*
    and       := not ('and' not)*
    not       := 'not' not | atom
    atom      := '(' or ')' | 'event' NAME | NAME OP NUMBER | 'true' | 'false'
    OP        := < <= > >= == !=

A comparison on a param with hysteresis latches: `health < 0.25` turns true below 0.25 and
lets go only above 0.25 + hysteresis, so a value hovering at the threshold cannot flicker.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Mapping, Union


class ConditionError(ValueError):
    def __init__(self, message: str, column: int):
        super().__init__(message)
        self.column = column  # 0-based within the condition text


@dataclass(frozen=True)
class EventRaised:
    name: str
    column: int


@dataclass(frozen=True)
class Compare:
    param: str
    op: str
    value: float
    column: int


@dataclass(frozen=True)
class Const:
    value: bool


@dataclass(frozen=True)
class Not:
    item: "Condition"


@dataclass(frozen=True)
class All:
    items: tuple["Condition", ...]


@dataclass(frozen=True)
class Any_:
    items: tuple["Condition", ...]


Condition = Union[EventRaised, Compare, Const, Not, All, Any_]

_TOKEN = re.compile(r"\s*(?:(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))|(?P<op><=|>=|==|!=|<|>)|(?P<par>[()])|(?P<name>[A-Za-z_][A-Za-z0-9_]*))")
_KEYWORDS = {"and", "or", "not", "event", "true", "false"}
MAX_DEPTH = 32  # levels of 'not' and parentheses; no one writes more, and the parser (and evaluate) recurse


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            col = pos + (len(text[pos:]) - len(text[pos:].lstrip()))
            raise ConditionError(f"unexpected character {text[col]!r} in condition", col)
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise ConditionError("condition ends too early", len(self.text))
        self.i += 1
        return tok

    def word(self, w: str) -> bool:
        tok = self.peek()
        if tok and tok[0] == "name" and tok[1] == w:
            self.i += 1
            return True
        return False

    def parse(self) -> Condition:
        if not self.tokens:
            raise ConditionError("condition is empty", 0)
        cond = self.or_()
        if (tok := self.peek()) is not None:
            raise ConditionError(f"unexpected '{tok[1]}' (expected 'and', 'or' or the end)", tok[2])
        return cond

    def or_(self) -> Condition:
        items = [self.and_()]
        while self.word("or"):
            items.append(self.and_())
        return items[0] if len(items) == 1 else Any_(tuple(items))

    def and_(self) -> Condition:
        items = [self.not_()]
        while self.word("and"):
            items.append(self.not_())
        return items[0] if len(items) == 1 else All(tuple(items))

    def not_(self) -> Condition:
        if self.word("not"):
            with self._deeper(self.tokens[self.i - 1][2]):
                return Not(self.not_())
        return self.atom()

    @contextmanager
    def _deeper(self, column: int):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionError(f"condition nested too deeply (more than {MAX_DEPTH} levels of 'not' and "
                                 "parentheses)", column)
        yield
        self.depth -= 1

    def atom(self) -> Condition:
        kind, text, col = self.take()
        if kind == "par" and text == "(":
            with self._deeper(col):
                cond = self.or_()
            k2, t2, c2 = self.take()
            if t2 != ")":
                raise ConditionError(f"expected ')' but found '{t2}'", c2)
            return cond
        if kind == "name" and text == "event":
            k2, name, c2 = self.take()
            if k2 != "name" or name in _KEYWORDS:
                raise ConditionError(f"expected an event name after 'event', found '{name}'", c2)
            return EventRaised(name, c2)
        if kind == "name" and text in ("true", "false"):
            return Const(text == "true")
        if kind == "name" and text not in _KEYWORDS:
            k2, op, c2 = self.take()
            if k2 != "op":
                raise ConditionError(f"expected a comparison (<, <=, >, >=, ==, !=) after '{text}', found '{op}'", c2)
            k3, num, c3 = self.take()
            if k3 != "num":
                raise ConditionError(f"expected a number after '{op}', found '{num}'", c3)
            return Compare(text, op, float(num), col)
        raise ConditionError(f"unexpected '{text}' (expected 'event NAME', 'PARAM < NUMBER', 'not' or '(')", col)


def parse_condition(text: str) -> Condition:
    return _Parser(text).parse()


def walk(cond: Condition):
    yield cond
    if isinstance(cond, Not):
        yield from walk(cond.item)
    elif isinstance(cond, (All, Any_)):
        for item in cond.items:
            yield from walk(item)


_OPS = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


class Latches:
    """The latched truth of every comparison, updated once per block from the param values.

    Keyed by the comparison node's identity: hashing a frozen dataclass on every lookup costs more than the
    comparison itself.
    """

    def __init__(self, compares: list[Compare], hysteresis: Mapping[str, float]):
        unique = {id(c): c for c in compares}
        self._compares = [(key, c.param, _OPS[c.op], c.op, c.value, hysteresis.get(c.param, 0.0))
                          for key, c in unique.items()]
        self.state: dict[int, bool] = {key: False for key in unique}

    def update(self, values: Mapping[str, float]) -> None:
        state = self.state
        for key, param, op, sign, threshold, h in self._compares:
            x = values[param]
            if h > 0 and state[key] and sign in ("<", "<="):
                state[key] = x < threshold + h
            elif h > 0 and state[key] and sign in (">", ">="):
                state[key] = x > threshold - h
            else:
                state[key] = op(x, threshold)


def may_hold_without_events(cond: Condition) -> bool:
    """Whether some values of the params make `cond` true in a block that raises no event: a rule a param jump
    can follow after the step an event took (Playback.choose consumes an event with its first step)."""
    return _possible(cond)[0]


def _possible(cond: Condition) -> tuple[bool, bool]:
    """(can be true, can be false) with no event raised and every comparison free to go either way."""
    if isinstance(cond, EventRaised):
        return False, True
    if isinstance(cond, Compare):
        return True, True
    if isinstance(cond, Const):
        return cond.value, not cond.value
    if isinstance(cond, Not):
        true, false = _possible(cond.item)
        return false, true
    parts = [_possible(c) for c in cond.items]
    if isinstance(cond, All):
        return all(t for t, _ in parts), any(f for _, f in parts)
    return any(t for t, _ in parts), all(f for _, f in parts)


def evaluate(cond: Condition, latches: Latches, events: frozenset[str] | set[str]) -> bool:
    if isinstance(cond, Compare):
        return latches.state[id(cond)]
    if isinstance(cond, EventRaised):
        return cond.name in events
    if isinstance(cond, Const):
        return cond.value
    if isinstance(cond, Not):
        return not evaluate(cond.item, latches, events)
    if isinstance(cond, All):
        return all(evaluate(c, latches, events) for c in cond.items)
    return any(evaluate(c, latches, events) for c in cond.items)

"""A corpus of mutated state machines: every one is either still valid or rejected with file:line:column;
none crashes the loader and none takes long (alias bombs and deep nesting are refused, not expanded)."""
from __future__ import annotations

import random
import time

import pytest

from engine.errors import ValidationError
from engine.score.loader import load_machine

from conftest import ROOT

SOURCE = (ROOT / "statemachines" / "demo.yaml").read_text().replace("../stems/demo", str(ROOT / "stems" / "demo"))
BROADCAST = (ROOT / "statemachines" / "broadcast.yaml").read_text().replace("../stems/demo",
                                                                             str(ROOT / "stems" / "demo"))
VALUES = ["-1", "1e308", "10" * 200, "-inf", ".nan", "[]", "{}", "[1, [2, [3]]]", "'x'", "yes", "on", "~", "",
          "'../../etc/passwd'", "!!python/object:os.system 'ls'", "&a [1]", "*undefined", "0x7fffffffffffffff",
          "event", "not", "(", "health <", "2 bars", "cue nowhere", "-12 dB", "300ms", "\"\\u0000\""]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        op = rng.randrange(7)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 2 and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {rng.choice(VALUES)}"
        elif op == 3:
            lines[i] = " " * rng.randint(0, 6) + lines[i].lstrip()
        elif op == 4:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice(["{", "}", "[", "]", ":", "'", '"', "&x", "*x", "\t", "#"]) + \
                lines[i][cut:]
        elif op == 5:
            lines[i] = lines[i].replace("combat", rng.choice(["combta", "any", "previous", ""]))
        else:
            lines[i] = lines[i].replace("0", rng.choice(["-", "1e999", "0.0.0", "x"]))
    return "\n".join(lines) + "\n"


SPECIALS = {
    "alias_bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")) + SOURCE,
    "deep_nesting": SOURCE + "extra: " + "[" * 5000 + "]" * 5000 + "\n",
    "deep_mapping": SOURCE + "deep:" + "".join(f"\n{'  ' * (i + 1)}k{i}:" for i in range(200)) + " 1\n",
    "huge_numbers": SOURCE.replace("range: [0, 1], default: 0.2", "range: [0, 1e400], default: 1e400"),
    "cycle_of_then": SOURCE.replace("    then: explore", "    then: victory"),
    "binary_junk": "\x00\x01\x02pack: \xff\xfe",
    "empty": "",
    "just_a_list": "- 1\n- 2\n",
    "tabs": SOURCE.replace("  ", "\t"),
}


HANG = 30.0  # seconds: a hang detector (a load takes milliseconds), not a speed budget


def check(path, text: str) -> list[str]:
    """The problems' messages (none if the file is valid); each problem is placed at file:line:column."""
    path.write_bytes(text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text)
    started = time.perf_counter()
    messages = []
    try:
        load_machine(path)
    except ValidationError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file == str(path) and p.line >= 1 and p.column >= 1 and p.message, p
        messages = [p.message for p in exc.problems]
    assert time.perf_counter() - started < HANG, "the loader hung"
    return messages


@pytest.mark.parametrize("seed", range(300))
def test_mutated_machines_are_valid_or_precisely_rejected(tmp_path, seed):
    rng = random.Random(seed)
    check(tmp_path / "mutated.yaml", mutate(BROADCAST if seed % 2 else SOURCE, rng))


@pytest.mark.parametrize("name", sorted(SPECIALS))
def test_hostile_machines_are_rejected_without_hanging(tmp_path, name):
    check(tmp_path / f"{name}.yaml", SPECIALS[name])


def test_an_alias_bomb_is_refused_not_expanded(tmp_path):
    messages = check(tmp_path / "bomb.yaml", SPECIALS["alias_bomb"])
    assert any("alias bomb" in m for m in messages), messages

"""engine/yamldoc.py on its own: reading (limits, files that are not documents, safe loading) and the typed
access every loader builds on, each problem at the file:line:column of the value it is about."""
from __future__ import annotations

import os
import textwrap

import pytest

from engine.errors import Problem, ValidationError
from engine.yamldoc import MAX_BYTES, MAX_DEPTH, MAX_NODES, Doc, items


def load(tmp_path, text: str, name: str = "doc.yaml") -> Doc:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return Doc.load(path)


def refused(tmp_path, text: str | bytes) -> Problem:
    """The one problem that stops the file from loading."""
    path = tmp_path / "bad.yaml"
    path.write_bytes(text if isinstance(text, bytes) else textwrap.dedent(text).encode())
    with pytest.raises(ValidationError) as err:
        Doc.load(path)
    [problem] = err.value.problems
    assert problem.file == str(path)
    return problem


def where(problem: Problem) -> tuple[int, int]:
    return problem.line, problem.column


def top(doc: Doc) -> dict:
    """The root mapping's values by key."""
    return {key: value for key, _, value in items(doc.mapping(doc.root, "root"))}


# -- reading ------------------------------------------------------------------------------------------------------

def test_a_value_keeps_the_line_and_column_it_was_written_at(tmp_path):
    doc = load(tmp_path, """\
        name: tones
        states:
          calm: {segment: calm}
        """)
    values = top(doc)
    doc.error(values["states"], "here")
    calm = doc.mapping(values["states"], "states")["calm"][1]
    doc.error(doc.mapping(calm, "calm")["segment"][1], "there", column_offset=2)
    assert [(p.file, p.line, p.column, p.message) for p in doc.problems] == [
        (str(tmp_path / "doc.yaml"), 3, 3, "here"), (str(tmp_path / "doc.yaml"), 3, 21, "there")]
    assert str(doc.problems[0]) == f"{tmp_path / 'doc.yaml'}:3:3: here"
    with pytest.raises(ValidationError, match=":3:21: there"):
        doc.raise_if_problems()


def test_an_empty_file_is_a_document_with_no_root(tmp_path):
    doc = load(tmp_path, "")
    assert doc.root is None and doc.problems == []
    doc.raise_if_problems()  # nothing found, nothing raised
    assert str(doc.problem(None, "no root")) == f"{tmp_path / 'doc.yaml'}:1:1: no root"


def test_a_syntax_error_is_told_where_the_parser_stopped(tmp_path):
    problem = refused(tmp_path, """\
        a: 1
        b: [1, 2
        c: 3
        """)
    assert problem.message.startswith("YAML syntax: ") and problem.line == 3


def test_text_that_is_not_utf8_is_refused(tmp_path):
    problem = refused(tmp_path, b"name: caf\xe9\n")
    assert where(problem) == (1, 1) and problem.message.startswith("not UTF-8 text: ")


def test_a_file_one_byte_over_the_limit_is_refused_and_one_at_the_limit_is_read(tmp_path):
    filler = "#" * (MAX_BYTES - len("a: 1\n") - 1) + "\n"
    at_limit = tmp_path / "at.yaml"
    at_limit.write_text("a: 1\n" + filler)
    assert at_limit.stat().st_size == MAX_BYTES and Doc.load(at_limit).root is not None
    problem = refused(tmp_path, "a: 1\n" + filler + "\n")
    assert str(problem).endswith(f":1:1: file is larger than {MAX_BYTES} bytes")


def test_what_is_not_a_regular_file_is_refused_without_reading_it(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it for reading would block for ever without a writer
    for path, message in ((fifo, "not a regular file (a device, pipe or socket cannot be a YAML document)"),
                          (tmp_path / "missing.yaml", "cannot read file: No such file or directory")):
        assert_refused_at_the_top(path, message)


def test_a_folder_is_refused_as_a_folder(tmp_path):
    assert_refused_at_the_top(tmp_path, "is a folder, not a file")


def assert_refused_at_the_top(path, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        Doc.load(path)
    [problem] = err.value.problems
    assert (problem.file, where(problem), problem.message) == (str(path), (1, 1), message)


def test_nesting_deeper_than_the_limit_is_refused_and_at_the_limit_is_read(tmp_path):
    def nested(depth: int) -> str:
        return "[" * depth + "1" + "]" * depth + "\n"

    load(tmp_path, nested(MAX_DEPTH))  # the innermost value sits at depth MAX_DEPTH
    problem = refused(tmp_path, nested(MAX_DEPTH + 1))
    assert problem.message == "document is too deeply nested"
    assert "too deeply nested" in refused(tmp_path, nested(5000)).message  # past the parser's own recursion


def test_an_alias_bomb_is_refused_by_counting_not_expanding(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]  # 10^9 values
    problem = refused(tmp_path, "\n".join(lines) + "\n")
    assert where(problem) == (1, 1) and f"more than {MAX_NODES} values (alias bomb?)" in problem.message
    small = load(tmp_path, "\n".join(lines[:3]) + "\n")  # 1,000 values through aliases: fine
    assert len(small.sequence(top(small)["a2"], "a2")) == 10


# -- safe loading -------------------------------------------------------------------------------------------------

def test_a_python_tag_is_reported_and_never_constructed(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(os, "system", lambda *a: ran.append(a))
    doc = load(tmp_path, """\
        run: !!python/object/apply:os.system ["echo owned"]
        name: !!python/name:os.system ''
        """)
    values = top(doc)
    assert doc.scalar(values["name"], "name") is None
    assert doc.sequence(values["run"], "run") is not None  # a tagged list is still just nodes
    assert ran == []
    [problem] = doc.problems
    assert where(problem) == (2, 7)
    assert problem.message == "name: the YAML tag tag:yaml.org,2002:python/name:os.system is not allowed here " \
                              "(plain values only)"


# -- typed access -------------------------------------------------------------------------------------------------

def test_a_mapping_reports_duplicate_unknown_missing_and_non_plain_keys(tmp_path):
    doc = load(tmp_path, """\
        thing:
          tempo: 120
          tempo: 90
          colour: red
          [1, 2]: x
        """)
    thing = top(doc)["thing"]
    got = doc.mapping(thing, "thing", allowed={"tempo", "meter"}, required=("tempo", "meter"))
    assert list(got) == ["tempo"] and doc.scalar(got["tempo"][1], "tempo") == 120  # the first one counts
    assert [(where(p), p.message) for p in doc.problems] == [
        ((3, 3), "thing: duplicate key 'tempo'"),
        ((4, 3), "thing: unknown key 'colour' (expected one of: meter, tempo)"),
        ((5, 3), "thing: keys must be plain names"),
        ((2, 3), "thing: missing required key 'meter'"),
    ]


def test_each_typed_read_returns_none_and_records_a_problem_at_the_value_when_it_is_wrong(tmp_path):
    doc = load(tmp_path, """\
        list: [1, 2]
        map: {a: 1}
        word: '  calm  '
        yes: yes
        quoted: 'yes'
        blank: ''
        gain: -6.5
        nan: .nan
        bars: 4
        flag: true
        """)
    v = top(doc)
    good = [doc.sequence(v["list"], "list"), doc.string(v["word"], "word"), doc.string(v["quoted"], "quoted"),
            doc.number(v["gain"], "gain", -60, 0), doc.integer(v["bars"], "bars", 1, 64),
            doc.boolean(v["flag"], "flag")]
    assert [len(good[0])] + good[1:] == [2, "calm", "yes", -6.5, 4, True]
    assert doc.problems == []
    bad = [doc.mapping(v["list"], "list"), doc.sequence(v["map"], "map"), doc.scalar(v["map"], "map"),
           doc.string(v["yes"], "yes"), doc.string(v["blank"], "blank"), doc.number(v["gain"], "gain", 0, 1),
           doc.number(v["nan"], "nan"), doc.integer(v["bars"], "bars", 5, 8), doc.integer(v["gain"], "gain", -10, 10),
           doc.boolean(v["word"], "word"), doc.number(v["word"], "word")]
    assert bad == [None] * len(bad)
    messages = [(where(p), p.message) for p in doc.problems]
    assert messages == [
        ((1, 7), "list must be a mapping of key: value"),
        ((2, 6), "map must be a list"),
        ((2, 6), "map must be a single value, not a mapping"),
        ((4, 6), "yes: YAML reads yes as true; put it in quotes: 'yes'"),
        ((6, 8), "blank must be a non-empty text, got ''"),
        ((7, 7), "gain must be between 0 and 1, got -6.5"),
        ((8, 6), "nan must be a number, got nan"),
        ((9, 7), "bars must be a whole number from 5 to 8, got 4"),
        ((7, 7), "gain must be a whole number from -10 to 10, got -6.5"),
        ((3, 7), "word must be true or false, got '  calm  '"),
        ((3, 7), "word must be a number, got '  calm  '"),
    ]


def test_notes_are_kept_apart_from_problems_and_do_not_fail_the_document(tmp_path):
    doc = load(tmp_path, "a: 1\n")
    doc.note(doc.root, "a is never used")
    doc.raise_if_problems()
    assert [str(n) for n in doc.notes] == [f"{tmp_path / 'doc.yaml'}:1:1: note: a is never used"]


def test_items_walks_a_mapping_in_file_order_and_nothing_for_a_wrong_one(tmp_path):
    doc = load(tmp_path, "b: 2\na: 1\nc: 3\n")
    root = doc.mapping(doc.root, "root")
    walked = [(k, key.start_mark.line + 1, doc.scalar(value, k)) for k, key, value in items(root)]
    assert walked == [("b", 1, 2), ("a", 2, 1), ("c", 3, 3)]
    assert list(items(None)) == []

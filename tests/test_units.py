"""engine/units.py on its own: the gains and durations designers write as text, their limits, and how a
musical length becomes samples."""
from __future__ import annotations

import math

import pytest

from engine.units import SILENCE_DB, ZERO, Duration, UnitError, db_to_gain, parse_db, parse_duration

SR, BEAT = 48000, 24000.0  # 120 BPM


@pytest.mark.parametrize("written, db", [
    (-6, -6.0), (0.5, 0.5), ("-6 dB", -6.0), ("0dB", 0.0), (" +3.5 db ", 3.5), ("-.5", -0.5), ("12.", 12.0),
    ("-inf", -math.inf), ("-INF dB", -math.inf), (24, 24.0), ("24 dB", 24.0),
])
def test_a_gain_is_a_number_or_a_text_in_db(written, db):
    assert parse_db(written) == db


@pytest.mark.parametrize("written, words", [
    (True, "expected a gain in dB, got True"), ("-6 dBFS", "like '-6 dB'"), ("loud", "like '-6 dB'"),
    (None, "like '-6 dB'"), ("6 dB 6", "like '-6 dB'"), (24.001, "at most +24 dB"), ("inf", "at most +24 dB"),
    (math.nan, "at most +24 dB"),
])
def test_a_gain_that_is_not_one_or_louder_than_24_db_is_refused(written, words):
    with pytest.raises(UnitError, match=words.replace("+", r"\+")):
        parse_db(written)


def test_gains_at_or_below_the_floor_are_silence_and_others_are_amplitudes():
    assert db_to_gain(0) == 1.0 and db_to_gain(-math.inf) == 0.0 and db_to_gain(SILENCE_DB) == 0.0
    assert db_to_gain(-6) == pytest.approx(0.501187, abs=1e-6) and db_to_gain(6) == pytest.approx(1.995262, abs=1e-6)
    assert db_to_gain(SILENCE_DB + 0.01) == pytest.approx(10 ** ((SILENCE_DB + 0.01) / 20))


@pytest.mark.parametrize("written, duration", [
    ("300ms", Duration(0.3, "s")), ("1.5s", Duration(1.5, "s")), ("2 sec", Duration(2.0, "s")),
    ("1 second", Duration(1.0, "s")), ("3 seconds", Duration(3.0, "s")), ("2 beats", Duration(2.0, "beats")),
    ("1 beat", Duration(1.0, "beats")), ("1 bar", Duration(1.0, "bars")), ("0.5 BARS", Duration(0.5, "bars")),
    ("4", Duration(4.0, "s")), (2, Duration(2.0, "s")), (0, ZERO), (".25s", Duration(0.25, "s")),
])
def test_a_duration_is_seconds_or_musical(written, duration):
    assert parse_duration(written) == duration


@pytest.mark.parametrize("written, words", [
    (-1, "zero or more"), (math.inf, "zero or more"), (math.nan, "zero or more"), (False, "expected a duration"),
    ("-300ms", "like '300ms'"), ("2 minutes", "like '300ms'"), ("beats", "like '300ms'"), (None, "like '300ms'"),
    (3600.001, "at most an hour"), ("3600001ms", "at most an hour"), ("7201 beats", "at most an hour"),
    ("1801 bars", "at most an hour"),
])
def test_a_duration_that_is_negative_unknown_or_longer_than_an_hour_is_refused(written, words):
    with pytest.raises(UnitError, match=words):
        parse_duration(written)


def test_the_longest_durations_are_taken():
    assert [parse_duration(t).amount for t in (3600, "7200 beats", "1800 bars")] == [3600.0, 7200.0, 1800.0]


def test_where_only_time_makes_sense_musical_units_are_refused_and_the_message_says_which_units():
    assert parse_duration("250 ms", musical=False) == Duration(0.25, "s")
    with pytest.raises(UnitError, match="expected a duration in ms or s, got '2 beats'"):
        parse_duration("2 beats", musical=False)
    with pytest.raises(UnitError, match=r"\(units: ms or s\)"):
        parse_duration("soon", musical=False)
    with pytest.raises(UnitError, match=r"\(units: ms, s, beats or bars\)"):
        parse_duration("soon")


def test_a_duration_becomes_samples_at_the_tempo_and_meter():
    assert Duration(0.3, "s").samples(SR, BEAT, 4) == 14400
    assert Duration(1.5, "beats").samples(SR, BEAT, 4) == 36000
    assert Duration(2, "bars").samples(SR, BEAT, 4) == 192000
    assert Duration(1, "bars").samples(SR, 16000.0, 3) == 48000  # 3/4 at 180 BPM
    assert Duration(1 / 3, "beats").samples(SR, 1000.0, 4) == 333  # rounded, not truncated toward zero
    assert Duration(2 / 3, "beats").samples(SR, 1000.0, 4) == 667
    assert ZERO.samples(SR, BEAT, 4) == 0


def test_a_duration_reads_back_as_it_would_be_written():
    assert [str(parse_duration(t)) for t in ("300ms", "2 beats", "1 bar", 1.25)] == [
        "0.3 s", "2 beats", "1 bars", "1.25 s"]

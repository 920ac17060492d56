from engine.clock import Clock, next_in_loop


def test_beats_and_bars_at_integer_tempo():
    c = Clock(48000, 120, 4)
    assert c.beat_sample(1) == 24000
    assert c.bar_sample(1) == 96000
    assert str(c.position(0)) == "1:1"
    assert str(c.position(96000 + 24000)) == "2:2"
    assert c.position(96000 + 12000).tick == 480


def test_boundaries_never_drift_at_a_fractional_tempo():
    c = Clock(48000, 140, 4)  # 20571.43 samples per beat
    assert c.beat_sample(7) == (7 * 48000 * 60) // 140
    # a boundary exactly on a beat is that beat; one sample later it is the next
    b = c.beat_sample(1000)
    assert c.next_beat(b) == b
    assert c.next_beat(b + 1) == c.beat_sample(1001)
    assert c.beat_at(b) == 1000 and c.beat_at(b - 1) == 999


def test_next_bar_every_n_bars_counts_from_the_origin():
    c = Clock(48000, 120, 4)
    assert c.next_bar(1) == 96000
    assert c.next_bar(1, every=2) == 192000
    assert c.next_bar(192001, every=2) == 384000
    assert c.next_bar(0, every=4) == 0


def test_meter_three_four():
    c = Clock(44100, 90, 3)
    assert str(c.position(c.beat_sample(4))) == "2:2"
    assert c.next_bar(1) == c.beat_sample(3)


def test_next_in_loop_finds_cue_points_and_segment_ends():
    # segment of 1000 samples started at 500; a cue 250 into it
    assert next_in_loop(500, 500, 1000, 250) == 750
    assert next_in_loop(751, 500, 1000, 250) == 1750
    assert next_in_loop(0, 500, 1000, 250) == 750
    # the end of a segment is never its own start
    assert next_in_loop(500, 500, 1000, 1000) == 1500
    assert next_in_loop(1500, 500, 1000, 1000) == 1500

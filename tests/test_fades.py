"""The one envelope type: fades (curved, between two gains) and automation (breakpoints), valued at any sample."""
import math

import pytest

from engine import fades
from engine.fades import Envelope, FadeCurve


@pytest.mark.parametrize("curve", fades.CURVES)
def test_fades_start_and_end_where_asked(curve):
    points = fades.breakpoints(curve, 0.2, 0.9, 24000)
    assert points[0] == (0, 0.2) and points[-1] == (24000, pytest.approx(0.9))
    assert all(a[0] < b[0] and a[1] <= b[1] for a, b in zip(points, points[1:]))  # monotonic
    fade = Envelope.fade(1000, 0.2, 0.9, 24000, curve)
    assert fade.at(1000 - 5) == 0.2 and fade.at(1000) == 0.2
    assert fade.at(1000 + 24000) == 0.9 and fade.at(10**12) == 0.9  # the exact target, not a breakpoint's rounding


def test_a_falling_equal_power_fade_ends_in_true_silence():
    for curve in FadeCurve:  # 1 - cos(pi/2) is not exactly 1 in floating point; the last breakpoint is the target
        fade = Envelope.fade(0, 0.7, 0.0, 4800, curve)
        assert fade.points[-1] == (4800, 0.0) and fade.at(4800) == 0.0 and fade.end == 0.0
        assert 0.0 < fade.at(4799) < 0.01  # and the sample before is still on its way


def test_an_equal_power_crossfade_keeps_the_power_constant():
    up, down = (Envelope.fade(0, a, b, 24000, FadeCurve.EQUAL_POWER) for a, b in ((0.0, 1.0), (1.0, 0.0)))
    for elapsed in range(0, 24001, 1500):  # on the breakpoints the shape is exact
        assert abs(up.at(elapsed) ** 2 + down.at(elapsed) ** 2 - 1.0) < 1e-9
    assert down.at(12000) == pytest.approx(math.cos(math.pi / 4))


def test_linear_is_a_straight_line():
    assert Envelope.fade(0, 1.0, 0.0, 1000, FadeCurve.LINEAR).at(250) == pytest.approx(0.75)


def test_automation_holds_its_first_gain_before_and_its_last_after():
    env = Envelope.of(100, ((0, 1.0), (10, 0.5), (30, 0.5), (40, 1.0)))
    assert [env.at(s) for s in (0, 100, 105, 120, 135, 140, 10**9)] == [1.0, 1.0, 0.75, 0.5, 0.75, 1.0, 1.0]
    assert Envelope.constant(0.25).at(-10**9) == 0.25 == Envelope.constant(0.25).at(10**9)


def test_curve_names_are_the_strings_the_log_and_the_yaml_use():
    assert [str(c) for c in fades.CURVES] == ["linear", "equal_power"] and FadeCurve("linear") is FadeCurve.LINEAR

import math

import pytest

from engine import fades


@pytest.mark.parametrize("curve", fades.CURVES)
def test_fades_start_and_end_where_asked(curve):
    points = fades.breakpoints(curve, 0.2, 0.9, 24000)
    assert points[0] == (0, 0.2) and points[-1] == (24000, pytest.approx(0.9))
    assert all(a[0] < b[0] and a[1] <= b[1] for a, b in zip(points, points[1:]))  # monotonic
    assert fades.value(curve, 0.2, 0.9, 24000, -5) == 0.2
    assert fades.value(curve, 0.2, 0.9, 24000, 24000) == 0.9


def test_an_equal_power_crossfade_keeps_the_power_constant():
    for elapsed in range(0, 24001, 1500):  # on the breakpoints the shape is exact
        up = fades.value("equal_power", 0.0, 1.0, 24000, elapsed)
        down = fades.value("equal_power", 1.0, 0.0, 24000, elapsed)
        assert abs(up * up + down * down - 1.0) < 1e-9
    assert fades.value("equal_power", 1.0, 0.0, 24000, 12000) == pytest.approx(math.cos(math.pi / 4))


def test_linear_is_a_straight_line():
    assert fades.value("linear", 1.0, 0.0, 1000, 250) == pytest.approx(0.75)

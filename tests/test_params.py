from engine.params import Param, ParamSpec


def test_clamps_to_range():
    p = Param(ParamSpec("x", 0, 1, 0.5))
    assert p.set(7) == 1.0 and p.value == 1.0
    assert p.set(-3) == 0.0 and p.value == 0.0


def test_slews_linearly_to_the_new_value_in_the_smoothing_time():
    p = Param(ParamSpec("x", 0, 1, 0.0, smooth=0.3))
    p.set(1.0)
    p.advance(0.15)
    assert abs(p.value - 0.5) < 1e-9
    p.advance(0.1499)
    assert p.value < 1.0
    p.advance(0.01)
    assert p.value == 1.0


def test_a_new_target_mid_glide_starts_from_where_the_value_is():
    p = Param(ParamSpec("x", 0, 1, 0.0, smooth=1.0))
    p.set(1.0)
    p.advance(0.5)
    p.set(0.0)  # 0.5 to go, over the full smoothing time
    p.advance(0.5)
    assert abs(p.value - 0.25) < 1e-9

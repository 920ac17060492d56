"""engine/osc/slip.py on its own: escaping both ways, and a decoder that stays bounded whatever a TCP peer sends.
(Frames split at any byte, and an oversized frame arriving whole, are in test_osc_net.py.)"""
from __future__ import annotations

import random

from engine.osc.slip import Decoder, decode_frame, encode

END, ESC = 0xC0, 0xDB


def test_the_two_special_bytes_are_escaped_and_come_back():
    assert encode(b"\xc0") == b"\xc0\xdb\xdc\xc0" and encode(b"\xdb") == b"\xc0\xdb\xdd\xc0"
    assert encode(b"\xdb\xdc") == b"\xc0\xdb\xdd\xdc\xc0"  # an escape byte followed by what looks like one
    rng = random.Random(5)
    for _ in range(200):
        packet = bytes(rng.choice([END, ESC, 0xDC, 0xDD, 0, 65]) for _ in range(rng.randrange(1, 40)))
        framed = encode(packet)
        assert framed.count(END) == 2 and decode_frame(framed[1:-1]) == packet


def test_empty_frames_between_ends_are_skipped():
    assert Decoder().feed(b"\xc0\xc0\xc0" + encode(b"a") + b"\xc0\xc0" + encode(b"b")) == [b"a", b"b"]


def test_a_frame_of_the_limit_gets_through_even_when_every_byte_is_escaped():
    d = Decoder(limit=32)
    worst = bytes([END, ESC] * 16)
    assert d.feed(encode(worst)) == [worst] and d.oversized == 0


def endless_then_a_frame(d: Decoder) -> list[bytes]:
    """1,000 bytes of one frame that never ends, 20 at a time, then its END and a good frame."""
    got = []
    for _ in range(50):
        got += d.feed(b"y" * 20)
    return got + d.feed(b"\xc0" + encode(b"after"))


def test_an_endless_frame_arriving_bit_by_bit_is_dropped_and_the_next_frame_comes_through():
    d = Decoder(limit=32)
    assert endless_then_a_frame(d) == [b"after"] and d.oversized >= 1


def test_an_endless_frame_is_counted_once():
    d = Decoder(limit=32)
    endless_then_a_frame(d)
    assert d.oversized == 1


def test_a_plain_frame_one_byte_over_the_limit_is_dropped_and_counted():
    d = Decoder(limit=32)
    assert d.feed(encode(b"z" * 33) + encode(b"ok")) == [b"ok"] and d.oversized == 1

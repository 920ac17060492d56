"""The front doors: one strategy per way of running the audio, chosen once from `--audio`."""
from __future__ import annotations

import pytest

from engine.doors import NULL, OFFLINE, Device, door_named


def test_each_audio_name_opens_its_door():
    assert door_named("offline") is OFFLINE and door_named("null") is NULL
    assert door_named("jack") == Device("jack") and door_named("portaudio").name == "portaudio"
    with pytest.raises(ValueError, match="unknown audio door 'alsa'"):
        door_named("alsa")


def test_what_each_door_knows():
    jack = Device("jack")
    assert (OFFLINE.manual, OFFLINE.realtime, OFFLINE.waits_for_generation, OFFLINE.records) == (True, False, True, True)
    assert (NULL.manual, NULL.realtime, NULL.waits_for_generation, NULL.records) == (True, True, False, False)
    assert (jack.manual, jack.realtime, jack.waits_for_generation, jack.records) == (False, True, False, False)
    assert OFFLINE.live_inputs(2) == NULL.live_inputs(2) == 0 and jack.live_inputs(2) == 2  # a sidechain's mic
    assert OFFLINE.feed_ahead == 0 < jack.feed_ahead  # a driver's thread runs ahead of the main loop

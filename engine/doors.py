"""The engine's front doors, one strategy per way of running the audio:

    Offline   the engine drives pyo's clock itself, as fast as the CPU allows (render) or paced to real time
              (`segue run --audio offline`, recorded); waits for each generated phrase, so it is deterministic
    Null      the engine drives the clock in real time, without a device (no sound card, CI)
    Device    a real driver, portaudio or JACK, whose thread runs the blocks; live inputs (a sidechain) exist

Each knows how to boot the pyo server, whether the engine drives the clock, whether to wait for generation,
whether live inputs exist, how to pace the real-time loop and how to stop.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from engine.audio.backend import boot_device, boot_manual, has_sound_card

WAKE_EVERY = 0.05  # the real-time loop's own pace with a real driver: few wake-ups, few GIL hand-offs
FEED_AHEAD = 0.2  # seconds of script handed to the heartbeat ahead of time (each item knows its sample)
PARK_SECONDS = 1.0  # longest the audio thread waits for a stopping driver (see Parking)


class Parking:
    """While a real-time driver stops, the audio thread waits here, outside the GIL. Portaudio's ALSA host stops by
    cancelling its callback thread (pthread_cancel); a thread cancelled while it waits for the GIL takes the GIL's
    lock with it and the process hangs for good (it did, on Ctrl-C, in 10 of 12 tries). Bounded: a driver that
    lets the callback return instead gets it back within PARK_SECONDS."""

    def __init__(self):
        self.stopping, self._parked, self._released = threading.Event(), threading.Event(), threading.Event()

    def park(self) -> None:
        """From the audio callback, once stopping is set."""
        self._parked.set()
        self._released.wait(PARK_SECONDS)

    def stop(self, server) -> None:
        self.stopping.set()
        self._parked.wait(PARK_SECONDS)
        server.stop()
        self._released.set()


class Door:
    """What every door does unless it says otherwise: a manual clock, driven by the engine (server.process())."""

    name = ""
    manual = True  # the engine drives the clock itself (server.process())
    realtime = True  # blocks are due at the audio's pace: no other Python thread may hold the GIL for long
    waits_for_generation = False  # deterministic: wait (with a deadline) for each phrase; a lost one is fatal
    records = False  # `segue run` records this door's output to --out
    feed_ahead = 0.0  # seconds of script handed over ahead of its block

    def live_inputs(self, wanted: int) -> int:
        """Live input channels this door opens for a sidechain that wants `wanted` (0: none exist)."""
        return 0

    def boot(self, sample_rate: int, block: int, inputs: int = 0):
        return boot_manual(sample_rate, block)

    def pace(self, server, period: float, deadline: float) -> None:
        """One turn of the real-time loop: compute a block and sleep until the next is due."""
        server.process()
        delay = deadline + period - time.perf_counter()
        if delay > 0:
            time.sleep(delay)

    def stop(self, server, parking: Parking) -> None:
        server.stop()
        time.sleep(0.01)
        server.shutdown()


@dataclass(frozen=True)
class Offline(Door):
    name = "offline"
    realtime = False
    waits_for_generation = True
    records = True


@dataclass(frozen=True)
class Null(Door):
    name = "null"


@dataclass(frozen=True)
class Device(Door):
    driver: str = "portaudio"  # or 'jack'
    manual = False
    feed_ahead = FEED_AHEAD

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.driver

    def live_inputs(self, wanted: int) -> int:
        return wanted

    def boot(self, sample_rate: int, block: int, inputs: int = 0):
        return boot_device(self.driver, sample_rate, block, inputs=inputs)

    def pace(self, server, period: float, deadline: float) -> None:
        time.sleep(WAKE_EVERY)  # the driver's thread computes the blocks

    def stop(self, server, parking: Parking) -> None:
        parking.stop(server)  # the audio thread parks outside the GIL before the driver stops it
        time.sleep(0.1)
        server.shutdown()


OFFLINE, NULL = Offline(), Null()
NAMES = ("portaudio", "jack", "offline", "null")


def door_named(name: str) -> Door:
    """The door `segue run --audio NAME` asks for; 'auto' is portaudio when a sound card answers, else null."""
    if name == "auto":
        name = "portaudio" if has_sound_card() else "null"
    if name in ("portaudio", "jack"):
        return Device(name)
    if name in ("offline", "null"):
        return OFFLINE if name == "offline" else NULL
    raise ValueError(f"unknown audio door '{name}' (choose from {', '.join(NAMES)} or auto)")

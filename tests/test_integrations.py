"""Every integration kit's packets, byte for byte as the host sends them, replayed into a running engine."""
from __future__ import annotations


import numpy as np
import pytest
import yaml
from pythonosc.osc_message import OscMessage

from engine.session import Engine, EngineConfig

from audio import SR, read, run_until, send, wait_for
from conftest import ROOT

KITS = sorted(p.parent.name for p in (ROOT / "integrations").glob("*/packets.yaml"))


def load(kit: str) -> dict:
    return yaml.safe_load((ROOT / "integrations" / kit / "packets.yaml").read_text())


def test_every_kit_has_its_sample_and_its_packets():
    assert set(KITS) == {"unity", "godot", "unreal", "qlab", "companion"}
    for kit in KITS:
        files = [p.name for p in (ROOT / "integrations" / kit).iterdir()]
        assert len(files) >= 2, kit  # the sample itself and packets.yaml


@pytest.mark.parametrize("kit", KITS)
def test_the_kit_packets_are_the_osc_they_claim(kit):
    for packet in load(kit)["packets"]:
        message = OscMessage(bytes.fromhex(packet["hex"]))
        assert message.address.startswith("/segue/")
        name = message.address.rsplit("/", 1)[-1]
        assert name in packet["call"], (packet["call"], message.address)


@pytest.mark.parametrize("kit", KITS)
def test_replaying_the_kit_into_the_engine_gets_the_reaction(kit, tmp_path):
    spec = load(kit)
    packets = spec["packets"]
    end = max([p["at"] for p in packets] + [t for _, t in spec.get("expect", [])]
              + [spec.get("silent_after", 0)]) + 2.0
    out = tmp_path / f"{kit}.wav"
    with Engine(ROOT / spec["machine"], EngineConfig(osc_port=0)) as engine:
        with engine.recording(out):
            for n, packet in enumerate(packets, 1):
                run_until(engine, round(packet["at"] * SR))
                send(engine.osc.address[1], bytes.fromhex(packet["hex"]))
                wait_for(engine, n)
            run_until(engine, round(end * SR))
        log = list(engine.log)
        rejected = engine.osc.rejected
    assert rejected == 0
    enters = [(e["target"], e["sample"]) for e in log if e["action"] == "enter"]
    for state, at in spec.get("expect", []):
        assert (state, round(at * SR)) in enters, (state, at, enters)
    x = read(out)
    if "duck" in spec:
        t0, t1 = spec["duck"]
        ducks = [e for e in log if e["action"] == "automate" and e["target"] == "duck"]
        assert [round(e["time"]) for e in ducks] == [t0, t1]
        rms = lambda a, b: float(np.sqrt(np.mean(x[int(a * SR):int(b * SR)] ** 2)))  # noqa: E731
        assert rms(t0 + 0.5, t1 - 0.1) < 0.5 * rms(t0 - 0.9, t0 - 0.05)  # -10 dB under the talk
    if "stinger" in spec:
        stingers = [e["sample"] for e in log if e["action"] == "stinger"]
        assert stingers == [round(spec["stinger"] * SR)]
    if "silent_after" in spec:
        assert np.abs(x[int(spec["silent_after"] * SR):]).max() < 1e-6  # below -120 dBFS

"""Every integration kit's packets, byte for byte as the host sends them, replayed into a running engine."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
import yaml
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder

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


def generic_osc_packet(action: dict) -> bytes:
    """The datagram Companion's generic-osc module sends for one of its actions: `send_blank` an address with no
    arguments, `send_int` one int32 (the module's `parseInt` of the `int` option)."""
    builder = OscMessageBuilder(action["options"]["path"])
    if action["action"] == "send_int":
        builder.add_arg(int(action["options"]["int"]), "i")
    else:
        assert action["action"] == "send_blank", action["action"]
    return builder.build().dgram


def test_the_companion_page_is_a_page_export_that_companion_3_imports():
    """A version 4 page export (Companion 3.2 onwards; later versions upgrade it on import): the shape of
    ExportPageModelv4, buttons as Companion 3 stores them, one generic-osc connection that they all use."""
    page = json.loads((ROOT / "integrations" / "companion" / "segue-page.json").read_text())
    assert (page["version"], page["type"]) == (4, "page") and isinstance(page["oldPageNumber"], int)
    assert set(page) == {"version", "type", "page", "instances", "oldPageNumber"}
    assert set(page["page"]) == {"name", "controls", "gridSize"}
    assert set(page["page"]["gridSize"]) == {"minColumn", "maxColumn", "minRow", "maxRow"}
    ((connection, instance),) = page["instances"].items()
    assert instance["instance_type"] == "generic-osc" and instance["enabled"] is True
    assert {"label", "config", "isFirstInit", "lastUpgradeIndex"} <= set(instance)
    config = instance["config"]  # `port` up to generic-osc 2.3 (Companion 3.2-3.4), `targetPort` from 2.4
    assert (config["host"], config["port"], config["targetPort"], config["protocol"]) == \
        ("127.0.0.1", "9000", "9000", "udp")
    grid = page["page"]["gridSize"]
    for row, columns in page["page"]["controls"].items():
        for column, control in columns.items():
            assert grid["minRow"] <= int(row) <= grid["maxRow"]
            assert grid["minColumn"] <= int(column) <= grid["maxColumn"]
            assert control["type"] == "button" and set(control) == {"type", "style", "options", "feedbacks", "steps"}
            assert {"text", "size", "alignment", "pngalignment", "color", "bgcolor", "show_topbar"} <= set(
                control["style"])
            assert set(control["options"]) == {"relativeDelay", "rotaryActions", "stepAutoProgress"}
            for step in control["steps"].values():
                assert set(step) == {"action_sets", "options"} and set(step["action_sets"]) <= {"down", "up"}
                for action in step["action_sets"]["down"] + step["action_sets"]["up"]:
                    assert set(action) == {"id", "instance", "action", "options", "delay"}
                    assert action["instance"] == connection and action["delay"] == 0


def test_the_companion_page_sends_exactly_the_packets_the_kit_lists():
    """Every OSC action on the page, pressed or released, is one packet of packets.yaml, byte for byte, and the
    other way round: the replay above is what the page sends."""
    page = json.loads((ROOT / "integrations" / "companion" / "segue-page.json").read_text())
    sent = {}
    for row, columns in page["page"]["controls"].items():
        for column, control in columns.items():
            for step in control["steps"].values():
                for edge, actions in step["action_sets"].items():
                    packets = [generic_osc_packet(action) for action in actions]
                    if packets:
                        sent[(int(row), int(column), edge)] = packets
    listed = {}
    for packet in load("companion")["packets"]:
        row, column, edge = packet["button"]
        listed.setdefault((row, column, edge), []).append(bytes.fromhex(packet["hex"]))
    assert sent == listed


def test_the_qlab_script_is_written_for_qlab_5_and_sends_the_kit_packets():
    """QLab 5's dictionary: a Network cue's OSC message is its `custom string` (QLab 4 said `custom message`) and
    its patch its `network patch name`. Each message typed into a cue goes out as OSC with whole numbers as
    int32; every packet the kit lists is one of the script's cues."""
    script = (ROOT / "integrations" / "qlab" / "segue_cues.applescript").read_text()
    assert 'application id "com.figure53.QLab.5"' in script and "QLab.4" not in script
    assert "set custom string of newCue" in script and "custom message" not in script.replace("`custom message`", "")
    assert 'set network patch name of newCue to "Segue"' in script
    sent = set()
    for message in re.findall(r'\{"[^"]+", "(/segue/[^"]+)"\}', script):
        address, *numbers = message.split()
        builder = OscMessageBuilder(address)
        for number in numbers:
            builder.add_arg(int(number), "i")
        sent.add(builder.build().dgram)
    assert len(sent) == 8
    assert {bytes.fromhex(p["hex"]) for p in load("qlab")["packets"]} <= sent

"""The `segue` command as a user runs it: a real process, real files, real UDP."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import soundfile

from engine.events import Telemetry
from engine.session import Engine

from audio import osc_packet, read, run_until, send
from conftest import BAR, ROOT, write_machine
from waiting import status, wait_until

DEMO = ROOT / "statemachines" / "demo.yaml"
SCRIPT = ROOT / "statemachines" / "demo.telemetry.yaml"


def segue(*args, **kw):
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, **kw)


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_render_is_bit_identical_and_logs_every_decision(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    for out in (a, b):
        r = segue("render", DEMO, "--telemetry", SCRIPT, "--out", out, "--seconds", 40)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""  # no pyo or ALSA noise
    assert digest(a) == digest(b)
    log = json.loads(a.with_suffix(".decisions.json").read_text())
    assert log == json.loads(b.with_suffix(".decisions.json").read_text())
    enters = [(e["time"], e["position"], e["target"]) for e in log["entries"] if e["action"] == "enter"]
    # the script: enemy at 7.3 s -> combat on bar 5 (8 s); health 0.2 at 22.1 s -> danger on the next beat
    assert enters[:3] == [(0.0, "1:1", "explore"), (8.0, "5:1", "combat"), (22.5, "8:2", "danger")]
    assert all({"sample", "time", "position", "state", "action", "why"} <= e.keys()
               for e in log["entries"] if e["action"] != "telemetry")
    x = read(a)
    assert len(x) == 40 * 48000
    assert 0.05 < x.std() and abs(x).max() <= 0.9


def test_validate_reports_problems_as_file_line_column(tmp_path):
    ok = segue("validate", DEMO)
    assert ok.returncode == 0 and "ok (4 states" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.read_text().replace("../stems/demo", str(ROOT / "stems" / "demo"))
                   .replace("when: event enemy_spotted", "when: event enemy_spoted"))
    r = segue("validate", bad)
    assert r.returncode == 1
    line = next(i for i, t in enumerate(bad.read_text().splitlines(), 1) if "enemy_spoted" in t)
    assert r.stderr.startswith(f"{bad}:{line}:")
    assert "no event named 'enemy_spoted'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_validate_decode_finds_a_stem_damaged_in_its_middle_and_one_holding_nan(tone_pack, tmp_path):
    """Headers alone pass both files: only decoding them whole, as the engine will, finds the damage."""
    pack = tmp_path / "tones"
    shutil.copytree(tone_pack, pack)
    rate = soundfile.info(str(pack / "calm" / "a.wav")).samplerate
    noise = np.round(np.random.default_rng(0).uniform(-0.5, 0.5, (5 * rate, 2)) * 2 ** 23) / 2 ** 23
    soundfile.write(str(pack / "calm" / "a.flac"), noise, rate, subtype="PCM_24")
    data = bytearray((pack / "calm" / "a.flac").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 2000] = np.random.default_rng(1).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    (pack / "calm" / "a.flac").write_bytes(bytes(data))
    yaml = pack / "pack.yaml"
    yaml.write_text(yaml.read_text().replace("calm/a.wav", "calm/a.flac"))
    b, _ = soundfile.read(str(pack / "calm" / "b.wav"), always_2d=True)
    b[len(b) // 2] = np.nan
    soundfile.write(str(pack / "calm" / "b.wav"), b, rate, subtype="FLOAT")
    machine = write_machine(tmp_path)
    assert segue("validate", machine).returncode == 0
    r = segue("validate", "--decode", machine)
    assert r.returncode == 1 and r.stdout == ""
    lines = yaml.read_text().splitlines()
    where = {stem: next(i for i, t in enumerate(lines, 1) if f"calm/{stem}." in t) for stem in "ab"}
    problems = r.stderr.strip().splitlines()
    assert len(problems) == 2
    assert problems[0].startswith(f"{yaml}:{where['a']}:") and "calm/a.flac decodes to" in problems[0]
    assert "cut short or damaged" in problems[0]
    assert problems[1].startswith(f"{yaml}:{where['b']}:") and "NaN or infinite samples" in problems[1]
    ok = segue("validate", "--decode", DEMO)
    assert ok.returncode == 0 and "every audio file decodes whole" in ok.stdout


LONELY = """\
pack: tones
initial: calm
states:
  calm: {segment: calm}
  lonely: {segment: fight}
"""


def test_a_state_only_osc_can_enter_passes_validate_with_a_note_and_osc_enters_it(tone_pack):
    """README offers /segue/state/<name> for every state: such a state is reachable, so validate notes it."""
    path = write_machine(tone_pack.parent, LONELY, "lonely.yaml")
    r = segue("validate", path)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines()[1] == (f"{path}:5:3: note: state 'lonely' is entered only by /segue/state/lonely "
                                        "(no transition, 'then' or 'go' cue leads to it from 'calm')")
    with Engine(path) as engine:
        engine.queue.put(Telemetry("state", "lonely", source="/segue/state/lonely", sample=1000))
        run_until(engine, 2 * BAR)
        enters = [(e["target"], e["sample"]) for e in engine.log if e["action"] == "enter"]
    assert enters[-1] == ("lonely", BAR)  # the machine's default sync: the next bar


def test_a_missing_file_is_one_line_and_exit_code_one(tmp_path):
    r = segue("render", tmp_path / "nope.yaml", "--out", tmp_path / "x.wav")
    assert r.returncode == 1
    assert r.stderr.strip() == f"{tmp_path / 'nope.yaml'}:1:1: cannot read file: No such file or directory"


def test_busy_osc_port_is_a_clear_error():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        r = segue("run", DEMO, "--audio", "null", "--osc-port", port)
    assert r.returncode == 1
    assert r.stderr.strip() == f"segue: OSC UDP port {port} on 127.0.0.1 is already in use; choose another with --osc-port"


def test_run_live_reacts_to_osc_and_stops_cleanly_on_ctrl_c(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "live.wav"
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "run", str(DEMO), "--audio", "offline",
                             "--out", str(out), "--osc-port", str(port)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert "OSC on 127.0.0.1:" in proc.stdout.readline()
        status(port, 60)  # answered by an audio block: playing, so the event cannot land on bar 1:1 (sample 0)
        send(port, osc_packet("/game/enemy"), osc_packet("/segue/param/intensity", "high"))
        deadline = time.monotonic() + 10
        lines = []
        while time.monotonic() < deadline and not any("-> combat" in t for t in lines):
            lines.append(proc.stdout.readline())
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=10)
    assert any("-> combat" in t and "event enemy_spotted" in t for t in lines), lines
    assert proc.returncode == 0
    assert "expects a number for 'intensity', got str 'high'" in stderr
    assert f"recorded to {out}" in stdout
    x = read(out)
    assert len(x) > 48000 and x.std() > 0.01  # it really played, in real time, into the recording


def test_jack_without_a_server_is_a_clear_error():
    env = {**os.environ, "JACK_DEFAULT_SERVER": "segue-no-such-server", "JACK_NO_START_SERVER": "1"}
    r = segue("run", DEMO, "--audio", "jack", "--osc-port", 0, env=env)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.strip().startswith("segue: cannot start jack audio: the jack audio driver did not start")


def test_sigterm_during_a_render_leaves_no_half_written_wav(tmp_path):
    out = tmp_path / "long.wav"
    proc = subprocess.Popen([sys.executable, "-m", "engine.cli", "render", str(DEMO), "--out", str(out),
                             "--seconds", "3000"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: list(tmp_path.glob(".*partial*")), 30, "the render writing its partial file")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert stderr.strip() == "segue: render stopped by a signal; nothing was written"
    assert list(tmp_path.iterdir()) == []


def test_generate_writes_a_midi_riff_with_provenance(tmp_path):
    import mido

    out = tmp_path / "riff.mid"
    r = segue("generate", "--pack", ROOT / "stems" / "demo", "--role", "arpeggio", "--bars", 4, "--seed", 7,
              "--out", out)
    assert r.returncode == 0, r.stderr
    midi = mido.MidiFile(str(out))
    notes = [m for m in midi.tracks[0] if m.type == "note_on"]
    assert len(notes) >= 8 and abs(midi.length - 8.0) < 0.01  # 4 bars at the pack's 120 BPM
    assert all(60 <= m.note <= 84 for m in notes)
    provenance = json.loads(out.with_suffix(".provenance.json").read_text())
    assert provenance["seed"] == 7 and provenance["key"] == "C minor" and provenance["bpm"] == 120
    assert provenance["chords"] == ["Cm", "Cm", "Ab", "Ab"] and provenance["model_version"]
    assert len(provenance["model_sha256"]) == 64 and provenance["time"]
    again = tmp_path / "again.mid"
    segue("generate", "--pack", ROOT / "stems" / "demo", "--role", "arpeggio", "--bars", 4, "--seed", 7,
          "--out", again)
    assert digest(again) == digest(out)  # same seed, same riff


def test_generate_writes_a_jig_in_six_eight_in_the_style_asked_for(tmp_path):
    import mido

    out = tmp_path / "jig.mid"
    r = segue("generate", "--key", "A dorian", "--chords", "Am7,D7", "--meter", "6/8", "--style", "fiddle",
              "--role", "melody", "--bpm", 110, "--seed", 3, "--out", out)
    assert r.returncode == 0, r.stderr
    midi = mido.MidiFile(str(out))
    [signature] = [m for m in midi.tracks[0] if m.type == "time_signature"]
    assert (signature.numerator, signature.denominator) == (6, 8)
    assert abs(midi.length - 4 * 6 * 60 / 110) < 0.01  # 4 bars of six eighths at 110 eighths a minute
    provenance = json.loads(out.with_suffix(".provenance.json").read_text())
    assert provenance["style"] == "fiddle" and provenance["meter"] == [6, 8] and provenance["key"] == "A dorian"
    r = segue("generate", "--key", "A dorian", "--chords", "Am7", "--meter", "6/5", "--bpm", 110,
              "--out", tmp_path / "bad.mid")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "meter 6/5" in r.stderr
    assert not (tmp_path / "bad.mid").exists()


def test_generate_writes_an_audible_wav(tmp_path):
    out = tmp_path / "bass.wav"
    r = segue("generate", "--key", "D major", "--chords", "D,G,A,D", "--bpm", 100, "--role", "bass",
              "--seed", 1, "--out", out)
    assert r.returncode == 0, r.stderr
    x = read(out)
    assert len(x) >= 4 * 4 * 48000 * 60 / 100 and np.sqrt((x ** 2).mean()) > 0.02


def test_generate_plays_a_phrase_again_on_another_instrument_and_tempo_without_changing_a_note(tmp_path):
    from engine.generate.export import read_midi
    from engine.generate.soundfont import SoundFont
    from engine.generate.synth import Voicing, default_soundfont, synthesise

    riff, wav, copy = tmp_path / "jig.mid", tmp_path / "jig.wav", tmp_path / "copy.mid"
    r = segue("generate", "--key", "A dorian", "--chords", "Am7,D7", "--meter", "6/8", "--style", "fiddle",
              "--role", "melody", "--bpm", 110, "--seed", 3, "--out", riff)
    assert r.returncode == 0, r.stderr
    r = segue("generate", "--from", riff, "--instrument", "fiddle", "--bpm", 55, "--out", wav)
    assert r.returncode == 0, r.stderr
    provenance = json.loads(wav.with_suffix(".provenance.json").read_text())
    assert (provenance["instrument"], provenance["program"], provenance["bpm"]) == ("Fiddle", 110, 55)
    assert provenance["soundfont"] == "TimGM6mb" and provenance["notes_from"] == "jig.mid"
    layer, meter, tempo = read_midi(riff)
    assert (meter.beats, meter.unit, round(tempo, 6), layer.steps) == (6, 8, 110, 48)
    x = read(wav)[:, 0]  # mono: the phrase at half the tempo (twice as long), then its 2 s tail
    assert len(x) == 4 * 6 * 60 * 48000 // 55 + 96000
    assert np.array_equal(x, synthesise(SoundFont(default_soundfont()), layer, Voicing(110, 48000, 55, 6)))
    assert segue("generate", "--from", riff, "--out", copy).returncode == 0
    assert read_midi(copy)[0].notes == layer.notes  # read back, written again: not a note changed
    r = segue("generate", "--from", tmp_path / "nothing.mid", "--out", tmp_path / "x.wav")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "cannot read MIDI file" in r.stderr
    r = segue("generate", "--from", riff, "--instrument", "kazoo", "--out", tmp_path / "x.wav")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "unknown instrument 'kazoo'" in r.stderr
    assert not (tmp_path / "x.wav").exists()


def test_generate_refuses_what_it_cannot_do(tmp_path):
    r = segue("generate", "--role", "drums", "--key", "C major", "--chords", "C", "--bpm", 90, "--out",
              tmp_path / "x.mid")
    assert r.returncode == 1 and "unknown role 'drums'" in r.stderr
    r = segue("generate", "--role", "bass", "--out", tmp_path / "x.mid")
    assert r.returncode == 1 and "give --pack, or all of --key, --chords and --bpm" in r.stderr


def test_graph_draws_the_machine_as_mermaid_and_as_png_or_says_what_is_missing(tmp_path):
    r = segue("graph", ROOT / "statemachines" / "broadcast.yaml")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[:2] == ["stateDiagram-v2", "    [*] --> pre_show"]
    assert "    live --> half_time: event half_time @ bar" in lines
    assert "    post_show --> pre_show: segment end" in lines
    assert any(line.startswith("    note right of live: cue go_live") for line in lines)
    png = tmp_path / "machine.png"
    r = segue("graph", ROOT / "statemachines" / "demo.yaml", "--out", png)
    if shutil.which("dot"):
        assert r.returncode == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert r.returncode == 1 and "needs Graphviz's 'dot'" in r.stderr

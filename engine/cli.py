"""The `segue` command. Every error a user can cause becomes one line on stderr and exit code 1."""
from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import logging
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path

from engine.errors import AudioStartError, SegueError, ValidationError

BUNDLE = "segue_data.statemachines"  # the wheel's copy of statemachines/ (see pyproject.toml), with stems/demo


def bundled(name: str) -> Path:
    """A file of the bundled statemachines/ folder (the demo machine and script, the broadcast show).

    Installed, it is the data package pyproject.toml maps statemachines/ to, found by the import system wherever
    pip put it (a wheel's copy, or the repository's folder for an editable install); its pack sits beside it as
    in the repository (`../stems/demo`). A checkout run without installing (PYTHONPATH=.) has no such package
    and uses the repository's own folder. (importlib.resources.files cannot be used: it refuses the namespace
    path of an editable install, which holds a placeholder beside the folder.)"""
    try:
        folders = [Path(folder) for folder in importlib.import_module(BUNDLE).__path__]
    except ModuleNotFoundError:
        folders = []
    checkout = Path(__file__).resolve().parent.parent / "statemachines"
    return next((folder / name for folder in folders if (folder / name).is_file()), checkout / name)


def _version() -> str:
    try:
        return importlib.metadata.version("segue")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


STOP = threading.Event()  # set by SIGINT or SIGTERM; the main loops check it between blocks


def _request_stop(signum, frame) -> None:
    """Never raise from a signal handler here: it may run inside the audio callback, which must not fail."""
    STOP.set()


def _seconds(text: str) -> float:
    """A duration option: a finite number of seconds above zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return value


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="segue: %(message)s", stream=sys.stderr)
    logging.getLogger("segue").setLevel(logging.INFO)
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `segue`: a usage error, as argparse treats one; the whole help says what to type
        parser.print_help(sys.stderr)
        return 2
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _request_stop)
    try:
        code = args.func(args)
        sys.stdout.flush()  # here, so a reader that went away (`| head`) is noticed inside this try
        return code
    except BrokenPipeError:
        # stdout's reader closed it (`segue render ... | head`): stop quietly, as the Python docs advise, pointing
        # stdout at devnull so the flush at exit cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except ValidationError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except SegueError as exc:
        print(f"segue: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a file the command writes or reads after its checks (a full disk, say)
        print(f"segue: {exc.filename + ': ' if exc.filename else ''}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="segue", description="Adaptive soundtrack engine: OSC in, music out.")
    ap.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser("demo", help="play the bundled demo (renders to a WAV file when there is no sound card)")
    demo.add_argument("--out", type=Path, default=Path("out/demo.wav"), help="where to render without a sound card")
    demo.add_argument("--render", action="store_true", help="render to --out even if a sound card is present")
    demo.add_argument("--osc-port", type=int, default=9000, help="where the live demo listens for OSC")
    demo.set_defaults(func=cmd_demo)

    run = sub.add_parser("run", help="run live, reacting to OSC")
    run.add_argument("machine", type=Path)
    run.add_argument("--osc-port", type=int, default=9000)
    run.add_argument("--osc-host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    run.add_argument("--audio", choices=("auto", "portaudio", "jack", "offline", "null"), default="auto",
                     help="portaudio/jack: a real device; null: real time without output; "
                          "offline: real time, recorded to --out; auto (default): portaudio if there is "
                          "a sound card, else null")
    run.add_argument("--out", type=Path, default=Path("out/live.wav"), help="recording for --audio offline")
    run.add_argument("--block", type=int, default=256, help="audio block size in frames")
    run.add_argument("--telemetry", type=Path, help="also play this telemetry script in real time")
    run.add_argument("--watch", action="store_true",
                     help="reload the state machine when its file changes; a broken file is reported and the "
                          "old machine keeps playing")
    run.add_argument("--allow", help="senders allowed besides this machine: IPs or CIDR ranges, comma-separated")
    run.add_argument("--rate-limit", type=float, default=50_000.0, help="messages per second per sender")
    run.add_argument("--tcp-idle", type=_seconds, default=30.0, metavar="SECONDS",
                     help="close a TCP client that sends no complete message for this long (default 30)")
    run.add_argument("--timetag-horizon", type=_seconds, default=60.0, metavar="SECONDS",
                     help="refuse OSC bundles dated further ahead than this (default 60)")
    run.set_defaults(func=cmd_run)

    render = sub.add_parser("render", help="render offline, deterministically, with a decision log")
    render.add_argument("machine", type=Path)
    render.add_argument("--telemetry", type=Path, help="telemetry script (YAML); without it, the machine idles")
    render.add_argument("--out", type=Path, required=True)
    render.add_argument("--seconds", type=float, help="length (default: the script's duration)")
    render.add_argument("--block", type=int, default=256)
    render.add_argument("--sidechain", type=Path, help="a recording (e.g. commentary) fed as the sidechain input")
    render.add_argument("--plot", type=Path, metavar="PNG", help="also draw a timeline of the render")
    render.add_argument("--normalize", metavar="LUFS", help="scale the render to this integrated loudness: a number, "
                        "'broadcast' (-23) or 'streaming' (-14)")
    render.set_defaults(func=cmd_render)

    gen = sub.add_parser("generate", help="write a phrase with the layer model (or play one again): a MIDI or WAV riff")
    gen.add_argument("--pack", type=Path, help="stem pack for key, tempo and chords")
    gen.add_argument("--segment", help="the pack segment whose chords to follow (default: the first with chords)")
    gen.add_argument("--role", default="arpeggio", help="bass, melody, counter or arpeggio")
    gen.add_argument("--style", default="chorale", help="chorale, folk or fiddle (what the model writes like)")
    gen.add_argument("--meter", help="e.g. 3/4 or 6/8 (default: the pack's, else 4/4)")
    gen.add_argument("--bars", type=int, default=4)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--temperature", type=float, default=0.9)
    gen.add_argument("--density", type=float, default=0.5, help="0..1")
    gen.add_argument("--register", type=int, nargs=2, metavar=("LOW", "HIGH"), help="MIDI notes")
    gen.add_argument("--key", help="e.g. 'C minor' (default: the pack's)")
    gen.add_argument("--chords", help="comma-separated, one per bar, e.g. Cm,Ab,Eb,Bb (default: the pack's)")
    gen.add_argument("--bpm", type=float, help="tempo (default: the pack's)")
    gen.add_argument("--instrument", help="for WAV output: a General MIDI program, by number or name, e.g. 40 or "
                     "'Violin' (default: the role's)")
    gen.add_argument("--soundfont", type=Path, help="for WAV output: a General MIDI .sf2 (default: TimGM6mb)")
    gen.add_argument("--from", dest="notes", type=Path, metavar="PHRASE.mid",
                     help="play this phrase's notes (a MIDI file) instead of writing new ones: another instrument "
                     "or tempo, not a note changed")
    gen.add_argument("--out", type=Path, required=True, help="riff.mid or riff.wav (mono: the phrase, then its tail)")
    gen.set_defaults(func=cmd_generate)

    graph = sub.add_parser("graph", help="draw a state machine (Mermaid, Graphviz DOT, or PNG with Graphviz)")
    graph.add_argument("machine", type=Path)
    graph.add_argument("--format", choices=("mermaid", "dot"), default="mermaid")
    graph.add_argument("--out", type=Path, help="write here; a .png file is drawn with Graphviz's dot")
    graph.set_defaults(func=cmd_graph)

    monitor = sub.add_parser("monitor", help="a live terminal view of a running engine (over its OSC feedback)")
    monitor.add_argument("--host", default="127.0.0.1")
    monitor.add_argument("--port", type=int, default=9000, help="the engine's OSC port")
    monitor.add_argument("--seconds", type=float, help="stop after this long (default: until Ctrl-C)")
    monitor.add_argument("--timeout", type=_seconds, default=5.0, metavar="SECONDS",
                         help="give up, with exit code 1, when no engine answers within this long (default 5)")
    monitor.set_defaults(func=cmd_monitor)

    validate = sub.add_parser("validate", help="check a state machine and its stem pack")
    validate.add_argument("machine", type=Path, nargs="+")
    validate.add_argument("--decode", action="store_true",
                          help="also decode every stem and one-shot from end to end, as the engine plays them (a "
                               "pre-show check: without it only headers are read, and a file damaged in its middle "
                               "is told when it plays)")
    validate.set_defaults(func=cmd_validate)
    return ap


def _check_block(block: int) -> None:
    if block not in (32, 64, 128, 256, 512, 1024, 2048):
        raise SegueError(f"--block must be a power of two from 32 to 2048, got {block}")


class _Progress:
    """A render's progress on stderr (rich), drawn only when stderr is a terminal: a bar for the blocks, then one
    line for each pass over the finished file (reading, loudness, normalizing, writing). Nothing of it reaches
    stdout, so what a pipe reads is the same with or without a terminal."""

    def __init__(self) -> None:
        self.bar = None
        self.task = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description:<20}"), BarColumn(), TaskProgressColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
                                redirect_stdout=False, redirect_stderr=False)

    def __enter__(self) -> _Progress:
        if self.bar:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar:
            self.bar.stop()

    def blocks(self, done: int, total: int) -> None:
        """Engine.render's `progress` callback."""
        if self.bar is None:
            return
        if self.task is None:
            self.task = self.bar.add_task("rendering", total=total)
        self.bar.update(self.task, completed=done)

    @contextlib.contextmanager
    def stage(self, description: str):
        """One pass whose length is not known ahead: shown while it runs, then ticked off."""
        if self.bar is None:
            yield
            return
        if self.task is not None:  # the blocks are all done once a pass over the file starts
            self.bar.update(self.task, completed=self.bar.tasks[self.task].total)
        task = self.bar.add_task(description, total=None)
        self.bar.refresh()  # a pass may take less than the display's tenth of a second: draw it now
        yield
        self.bar.update(task, total=1, completed=1)


def _loudness(wav: Path, target_text: str | None, progress: _Progress, say: list[str]) -> None:
    """The render's loudness, added to `say`; with a target, the file scaled to it and its loudness again."""
    import numpy as np
    import soundfile

    from engine.loudness import TARGETS, TRUE_PEAK_CEILING, measure, normalize
    from engine.wavfile import write_wav

    with progress.stage("reading the render"):
        audio, rate = soundfile.read(str(wav), dtype="float32", always_2d=True)
    if not np.isfinite(audio).all():
        raise SegueError(f"{wav} holds non-finite samples (NaN or Inf) from sample "
                         f"{int(np.flatnonzero(~np.isfinite(audio).all(axis=1))[0])} on")
    with progress.stage("measuring loudness"):
        say.append("loudness: " + measure(audio, rate).lines()[0])
    if target_text is None:
        return
    try:
        target = TARGETS[target_text] if target_text in TARGETS else float(target_text)
    except ValueError:
        raise SegueError(f"--normalize takes LUFS (e.g. -23) or one of {', '.join(TARGETS)}, got {target_text!r}")
    with progress.stage("normalizing"):
        scaled, gain = normalize(audio, rate, target)
    with progress.stage("writing"):
        write_wav(scaled, rate, wav)
    with progress.stage("measuring again"):
        after = measure(scaled, rate)
    say.append(f"normalized by {gain:+.1f} dB: " + after.lines()[0])
    if after.true_peak > TRUE_PEAK_CEILING:
        logging.getLogger("segue").warning("true peak %.1f dBTP is above %.0f dBTP; choose a lower target",
                                           after.true_peak, TRUE_PEAK_CEILING)


def cmd_graph(args) -> int:
    import shutil
    import subprocess

    from engine.machine.diagram import dot, mermaid
    from engine.score.loader import load_machine

    machine = load_machine(args.machine)
    if args.out and args.out.suffix.lower() == ".png":
        if shutil.which("dot") is None:
            raise SegueError("drawing a PNG needs Graphviz's 'dot' (apt-get install graphviz); "
                             "or write Mermaid or DOT text with --format")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["dot", "-Tpng", "-o", str(args.out)], input=dot(machine), text=True, check=True)
        print(f"drawn: {args.out}")
        return 0
    text = dot(machine) if args.format == "dot" else mermaid(machine)
    if args.out:
        args.out.write_text(text)
        print(f"written: {args.out}")
    else:
        print(text, end="")
    return 0


def cmd_monitor(args) -> int:
    from engine.monitor import watch

    state = watch(args.host, args.port, args.seconds, answer_within=args.timeout, stop=STOP)  # Ctrl-C sets STOP
    if state.messages == 0 and not STOP.is_set():
        waited = min(args.timeout, args.seconds or args.timeout)
        raise SegueError(f"no answer from an engine at {args.host}:{args.port} within {waited:g} s "
                         f"(is `segue run` running there?)")
    return 0


def cmd_validate(args) -> int:
    from engine.score.loader import load_machine

    problems = []
    for path in args.machine:
        try:
            m = load_machine(path, decode=args.decode)
            print(f"{path}: ok ({len(m.states)} states, {len(m.transitions)} transitions, "
                  f"pack '{m.pack.name}' with {len(m.pack.segments)} segments"
                  f"{'; every audio file decodes whole' if args.decode else ''})")
            for note in m.notes:
                print(note)
        except ValidationError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems)
    return 0


def cmd_generate(args) -> int:
    from engine.generate.export import read_midi, write_midi, write_provenance
    from engine.gm import name_of, program_of
    from engine.roles import DEFAULTS, role_named

    if args.out.suffix.lower() not in (".mid", ".midi", ".wav"):
        raise SegueError(f"--out must end in .mid or .wav, got {args.out.name}")
    role = role_named(args.role) or args.role
    if args.notes:
        layer, meter, tempo = read_midi(args.notes)
        bpm, sample_rate = args.bpm or tempo, 48000
        told = f"{len(layer.notes)} notes over {layer.steps // layer.steps_per_bar} bars from {args.notes.name}"
    else:
        layer, meter, bpm, sample_rate, told = _new_phrase(args, role)
    program = program_of(args.instrument) if args.instrument else DEFAULTS[role].program if role in DEFAULTS else 0
    if args.out.suffix.lower() == ".wav":
        from engine.generate.soundfont import SoundFont
        from engine.generate.synth import Voicing, default_soundfont, synthesise
        from engine.wavfile import write_wav

        font = SoundFont(args.soundfont or default_soundfont())
        audio = synthesise(font, layer, Voicing(program, sample_rate, bpm, meter.beats))
        write_wav(audio[:, None], sample_rate, args.out)
        played = {"soundfont": font.name, "soundfont_sha256": font.sha256}
    else:
        write_midi(layer, bpm, args.out, meter, program)
        played = {}
    sidecar = write_provenance(layer, args.out, bpm=bpm, instrument=name_of(program), program=program, **played)
    print(told)
    print(f"written: {args.out}")
    print(f"provenance: {sidecar}")
    return 0


def _new_phrase(args, role):
    """A phrase the model writes for `segue generate`: its layer, meter, tempo, sample rate and a line to print."""
    from engine.generate.model import LayerModel
    from engine.machine.phrase import PhraseRequest
    from engine.meter import COMMON_TIME, Meter, parse_meter
    from engine.score.packfile import load_pack

    key, chords, bpm, sample_rate = args.key, args.chords.split(",") if args.chords else None, args.bpm, 48000
    meter = parse_meter(args.meter) if args.meter else COMMON_TIME
    if args.pack:
        pack = load_pack(args.pack)
        with_chords = [s for s in pack.segments.values() if s.chords]
        segment = pack.segments.get(args.segment) if args.segment else (with_chords[0] if with_chords else None)
        if args.segment and segment is None:
            raise SegueError(f"the pack has no segment '{args.segment}' (segments: {', '.join(pack.segments)})")
        key, bpm, sample_rate = key or pack.key, bpm or pack.tempo, pack.sample_rate
        meter = meter if args.meter else Meter(pack.beats_per_bar, pack.beat_unit)
        chords = chords or (list(segment.chords) if segment else None)
    if not (key and chords and bpm):
        raise SegueError("give --pack, or all of --key, --chords and --bpm (or --from a phrase)")
    register = tuple(args.register) if args.register else None  # None: the role's own
    chords = tuple(chords[i % len(chords)] for i in range(args.bars))  # one per bar
    request = PhraseRequest(role, key, chords, args.bars, args.density, register, args.seed, args.temperature,
                            meter=(meter.beats, meter.unit), style=args.style)
    layer = LayerModel().generate(request)
    told = (f"{len(layer.notes)} notes over {args.bars} bars ({role}, {key}, {' '.join(request.chords)}), "
            f"seed {args.seed}")
    return layer, meter, bpm, sample_rate, told


def cmd_render(args) -> int:
    from engine.session import Engine, EngineConfig
    from engine.telemetry import load_script

    _check_block(args.block)
    with Engine(args.machine, EngineConfig(block=args.block, log_limit=None, sidechain_file=args.sidechain)) as engine:
        script = load_script(args.telemetry, engine.router) if args.telemetry else None
        inputs = (args.telemetry,) if args.telemetry else ()
        loudness: list[str] = []  # printed once the progress display is gone, in the order it always came
        try:
            with _Progress() as progress:
                report = engine.render(args.out, script, args.seconds, stop=STOP, inputs=inputs,
                                       finish=lambda wav: _loudness(wav, args.normalize, progress, loudness),
                                       progress=progress.blocks)
        finally:
            for notice in engine.outbox.take_notices():
                logging.getLogger("segue").warning("%s", notice)
        for line in loudness:
            print(line)
        for entry in engine.outbox.take_announcements():
            print(describe(entry))
    print(f"rendered {report.seconds:.1f} s in {report.wall_seconds:.2f} s "
          f"({report.seconds / max(report.wall_seconds, 1e-9):.0f}x real time), peak {report.peak:.3f}")
    if report.non_finite:
        sources = "; ".join(f"{source} from {sample / engine.sample_rate:.2f} s"
                            for source, sample in report.non_finite.items())
        raise SegueError(f"non-finite samples (NaN or Inf) were silenced in {report.wav}: {sources}")
    if getattr(args, "plot", None):
        import json

        from engine.plot import Score, plot

        entries = json.loads(report.log.read_text())["entries"]
        print(f"timeline: {plot(entries, report.wav, args.plot, str(args.machine), Score.of(engine.machine))}")
    print(f"audio: {report.wav}")
    print(f"decision log: {report.log} ({report.decisions} decisions)")
    return 0


def cmd_run(args) -> int:
    from engine.doors import door_named
    from engine.session import Engine, EngineConfig
    from engine.telemetry import load_script

    _check_block(args.block)
    door = door_named(args.audio)
    with Engine(args.machine, EngineConfig(door=door, block=args.block, osc_port=args.osc_port,
                                           osc_host=args.osc_host, allow=args.allow, rate_limit=args.rate_limit,
                                           tcp_idle=args.tcp_idle, timetag_horizon=args.timetag_horizon)) as engine:
        script = load_script(args.telemetry, engine.router) if args.telemetry else None
        host, port = engine.osc.address if engine.osc else ("-", 0)
        print(f"segue: playing {args.machine} ({door.name} audio); OSC on {host}:{port}; Ctrl-C stops")
        if not door.records:
            _play(engine, script, args.watch)
            return 0
        with engine.recording(args.out, inputs=(args.telemetry,) if args.telemetry else ()):
            _play(engine, script, args.watch)
        print(f"segue: recorded to {args.out}")
    return 0


def cmd_demo(args) -> int:
    """Live on the sound card when there is one that starts, else rendered to a file. Each path runs its
    command's own arguments, parsed by the real parser, so the demo is exactly what a user could type."""
    from engine.audio.backend import has_sound_card

    machine, script = bundled("demo.yaml"), bundled("demo.telemetry.yaml")
    render = _parser().parse_args(["render", str(machine), "--telemetry", str(script), "--out", str(args.out)])
    if args.render or not has_sound_card():
        print("segue: rendering the demo" if args.render else
              "segue: no sound card found; rendering the demo to a file instead")
        return cmd_render(render)
    try:
        return cmd_run(_parser().parse_args(["run", str(machine), "--audio", "portaudio",
                                             "--osc-port", str(args.osc_port), "--telemetry", str(script)]))
    except AudioStartError as exc:
        print(f"segue: {exc}; rendering the demo to a file instead")
        return cmd_render(render)


def describe(entry: dict) -> str:
    """One line for a state change, as `run` and `render` print it."""
    return f"  {entry['time']:8.2f} s  bar {entry['position']:>6}  -> {entry['target']}  ({entry['why']})"


def _play(engine, script, watch: bool = False) -> None:
    """Real-time loop in the main thread; prints each state change as it happens, reloads on save."""
    from engine.heartbeat import Said

    outbox = engine.outbox
    watcher = _Watcher(engine) if watch else None
    if watcher:  # from here on a save is seen: an editor (or a test) may wait for this line
        print(f"segue: watching {engine.machine.path} and its pack's manifest; a save takes over on the next bar",
              flush=True)

    def report() -> None:
        for said, what in outbox.drain():
            if said is Said.ANNOUNCEMENT:
                print(describe(what), flush=True)
            elif said is Said.FAULT:
                logging.getLogger("segue").error("audio block fault: %s", what)
            else:
                logging.getLogger("segue.osc").warning("%s", what)
        if outbox.fatal:  # --audio offline waits for each phrase; a lost generator ends it, as it ends a render
            raise SegueError(f"stopped: {outbox.fatal}; nothing was recorded")
        if watcher:
            watcher.poll()

    engine.run(STOP, script, on_block=report)
    report()
    h = engine.health()
    print(f"segue: {h['blocks']} blocks of {h['period_ms']:.2f} ms; heartbeat p99 {h['heartbeat_p99_ms']:.3f} ms; "
          f"longest gap between blocks {h['max_gap_ms']:.2f} ms; {h['faults']} faults; "
          f"{h['dropped']} messages dropped", flush=True)
    if engine.osc:
        applied = ", ".join(f"{n} {kind}" for kind, n in sorted(h["taken"].items())) or "nothing"
        print(f"segue: OSC: {engine.osc.datagrams} packets in, {engine.osc.rejected} rejected; applied: {applied}",
              flush=True)


class _Watcher:
    """Reloads the machine when its file (or its pack's manifest) is saved; twice a second at most."""

    def __init__(self, engine):
        self.engine = engine
        self.next_check = 0.0
        self.stamp = self._stamp()

    def _stamp(self) -> tuple:
        paths = (self.engine.machine.path, self.engine.machine.pack.path / "pack.yaml")
        return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)

    def poll(self) -> None:
        now = time.monotonic()
        if now < self.next_check:
            return
        self.next_check = now + 0.5
        stamp = self._stamp()
        if stamp == self.stamp:
            return
        self.stamp = stamp
        try:
            self.engine.reload()
        except ValidationError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr, flush=True)
            print("segue: not reloaded; the previous version keeps playing", file=sys.stderr, flush=True)
            return
        except SegueError as exc:
            print(f"segue: not reloaded: {exc}", file=sys.stderr, flush=True)
            return
        print(f"segue: reloaded {self.engine.machine.path}; it takes over on the next bar", flush=True)


if __name__ == "__main__":
    sys.exit(main())

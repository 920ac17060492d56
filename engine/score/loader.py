"""Reads a state machine YAML file and its stem pack, validating everything before anything plays.

Every problem is collected and reported once with file:line:column; nothing is evaluated as code.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from types import MappingProxyType

from yaml.nodes import Node, ScalarNode

from engine.errors import Problem, SegueError, ValidationError
from engine.fades import CURVES, FadeCurve
from engine.machine.conditions import Compare, ConditionError, Const, EventRaised, parse_condition, walk
from engine.machine.model import (ANY, NO_FADE, PREVIOUS, STINGER_COOLDOWN, CueAction, Curve, DeskAction, FadeSpec,
                                  Generated, Layer, Machine, OscRoute, RouteKind, Sidechain, StartMode, State, Stinger,
                                  Sync, SyncKind, Transition)
from engine.params import ParamSpec
from engine.generate.export import read_midi
from engine.gm import program_of
from engine.machine.phrase import MAX_LINE_STEPS, line_of
from engine.roles import DEFAULTS, DENSITY, HIGH, LOW, STYLE, Role, Style, role_named
from engine.score.audio_info import audio_info
from engine.score.packfile import load_pack
from engine.stems.pack import Pack, PathLoop, resolved
from engine.units import ZERO, Duration, UnitError, db_to_gain, parse_db, parse_duration
from engine.yamldoc import Doc, items

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # at most 64: names travel in fixed-size OSC relay records
OSC_ADDRESS = re.compile(r"^(?=.{2,128}$)(/[A-Za-z0-9_.\-]+)+$")
TOP_KEYS = {"pack", "params", "events", "initial", "defaults", "states", "transitions", "osc", "stingers", "cues",
            "sidechain"}
TRANSITION_KEYS = {"from", "to", "when", "sync", "fade", "fade_in", "fade_out", "fade_curve", "start", "bridge",
                   "cooldown"}
# every key the format knows, per section; statemachines/schema.json is checked against these by a test
DEFAULTS_KEYS = {"sync", "fade", "fade_in", "fade_out", "fade_curve"}
PARAM_KEYS = {"range", "default", "smooth", "hysteresis"}
STATE_KEYS = {"segment", "layers", "then", "generate"}
CURVE_KEYS = {"param", "curve"}
GENERATE_KEYS = {"role", "style", "instrument", "register", "density", "seed", "temperature", "bars", "regenerate",
                 "lock", "gain", "pan", "continue", "motif", "answers"}
OSC_KEYS = {"param", "event", "state"}
STINGER_KEYS = {"oneshot", "when", "sync", "cooldown", "gain", "duck"}
CUE_OPTION_KEYS = {"sync", "time", "attack", "release"}
SIDECHAIN_KEYS = {"input", "threshold", "depth", "attack", "release"}


def load_machine(path: Path | str, decode: bool = False) -> Machine:
    """The machine, or ValidationError (file:line:column problems), whatever is wrong with the files. `decode`:
    every audio file of its pack decoded from end to end too (a pre-show check), not just its header read."""
    path = Path(path)
    try:
        return _load(path, decode)
    except SegueError:
        raise
    except Exception as exc:  # a gap in the checks: still one designer-readable line, never a traceback
        raise ValidationError([Problem(str(path), 1, 1, f"cannot be loaded ({type(exc).__name__}: {exc})")]) \
            from exc


def _load(path: Path, decode: bool) -> Machine:
    doc = Doc.load(path)
    top = doc.mapping(doc.root, "state machine", TOP_KEYS, ("pack", "initial", "states"))
    doc.raise_if_problems()
    assert top is not None
    pack = _pack(doc, path, top["pack"][1], decode)
    return _Builder(doc, pack, top).build(path)


def _pack(doc: Doc, path: Path, node: Node, decode: bool) -> Pack:
    rel = doc.string(node, "pack")
    doc.raise_if_problems()
    try:
        folder = resolved(path.parent / str(rel))
    except PathLoop as exc:
        doc.error(node, f"pack: {exc}")
        doc.raise_if_problems()
    if not (folder / "pack.yaml").is_file():
        doc.error(node, f"pack: no stem pack at {folder} (expected a folder with pack.yaml)")
        doc.raise_if_problems()
    return load_pack(folder, decode)


def _duration(doc: Doc, node: Node, what: str, musical: bool = True) -> Duration | None:
    value = doc.scalar(node, what)
    if value is None:
        return None
    try:
        return parse_duration(value, musical)
    except UnitError as exc:
        doc.error(node, f"{what}: {exc}")
        return None


class _Builder:
    def __init__(self, doc: Doc, pack: Pack, top: dict):
        self.doc, self.pack, self.top = doc, pack, top
        self.params: dict[str, ParamSpec] = {}
        self.events: list[str] = []
        self.states: dict[str, State] = {}

    def build(self, path: Path) -> Machine:
        top, doc = self.top, self.doc
        self.folder = Path(path).resolve().parent  # where a motif file may be
        self._params()
        self._events()
        self._states()
        initial = doc.string(top["initial"][1], "initial")
        if initial and initial not in self.states and self.states:
            doc.error(top["initial"][1], f"initial: no state named '{initial}' (states: {', '.join(self.states)})")
        default_sync, default_fade = Sync(SyncKind.BAR), NO_FADE
        if "defaults" in top:  # for every move that does not say otherwise: rules, forced moves, `then`
            d = doc.mapping(top["defaults"][1], "defaults", DEFAULTS_KEYS) or {}
            default_sync = self._sync(d["sync"][1], "defaults: sync", list(self.states)) if "sync" in d else default_sync
            default_fade = self._fade(d, "defaults", NO_FADE)
        transitions = self._transitions(default_sync or Sync(SyncKind.BAR), default_fade or NO_FADE)
        self._check_then()
        osc = self._osc()
        stingers = self._stingers()
        cues = self._cues(stingers)
        sidechain = self._sidechain() if "sidechain" in top else None
        self._cue_targets = [c for c in cues.values() if c.action == DeskAction.GO]
        if initial in self.states and not doc.problems:  # on a broken table it would only echo the breakage
            self._reachability(initial, transitions)
        doc.raise_if_problems()
        assert initial and default_sync and default_fade
        return Machine(path, self.pack, tuple(self.params.values()), tuple(self.events), initial,
                       MappingProxyType(self.states), tuple(transitions), MappingProxyType(osc),
                       default_sync, default_fade, MappingProxyType(stingers), MappingProxyType(cues), sidechain,
                       tuple(doc.notes))

    def _entries(self, section: str, kind: str, allowed: set[str], required: tuple[str, ...], bad_name: str):
        """(name, key node, value node, where, mapping) for each well-named, well-formed entry of a section;
        every other entry is reported (bad_name: the message for a name that cannot be used, with {})."""
        doc = self.doc
        for name, key_node, node in items(doc.mapping(self.top[section][1], section)):
            if not NAME.match(name):
                doc.error(key_node, bad_name.format(name))
                continue
            where = f"{kind} '{name}'"
            m = doc.mapping(node, where, allowed, required)
            if m is not None and set(required) <= set(m):
                yield name, key_node, node, where, m

    # -- params and events ----------------------------------------------------------------
    def _params(self) -> None:
        doc = self.doc
        if "params" not in self.top:
            return
        for name, _, _, where, m in self._entries("params", "param", PARAM_KEYS, ("range",),
                                               "param name '{}' must be letters, digits and _ (not starting with a digit; at most 64)"):
            rng = doc.sequence(m["range"][1], f"{where}: range") or []
            if len(rng) != 2:
                doc.error(m["range"][1], f"{where}: range must be [low, high]")
                continue
            lo, hi = (doc.number(n, f"{where}: range", -1e9, 1e9) for n in rng)
            if lo is None or hi is None:
                continue
            if not lo < hi:
                doc.error(m["range"][1], f"{where}: range low ({lo:g}) must be below high ({hi:g})")
                continue
            default = doc.number(m["default"][1], f"{where}: default", lo, hi) if "default" in m else lo
            smooth = _duration(doc, m["smooth"][1], f"{where}: smooth", musical=False) if "smooth" in m else ZERO
            hyst = doc.number(m["hysteresis"][1], f"{where}: hysteresis", 0, hi - lo) if "hysteresis" in m else 0.0
            if default is not None and smooth is not None and hyst is not None:
                self.params[name] = ParamSpec(name, lo, hi, default, smooth.amount, hyst)

    def _events(self) -> None:
        doc = self.doc
        if "events" not in self.top:
            return
        for node in doc.sequence(self.top["events"][1], "events") or []:
            name = doc.string(node, "event name")
            if name is None:
                continue
            if not NAME.match(name):
                doc.error(node, f"event name '{name}' must be letters, digits and _ (at most 64)")
            elif name in self.events:
                doc.error(node, f"event '{name}' is declared twice")
            elif name in self.params:
                doc.error(node, f"'{name}' is both a param and an event")
            else:
                self.events.append(name)

    # -- states ---------------------------------------------------------------------------
    def _states(self) -> None:
        doc = self.doc
        mapping = doc.mapping(self.top["states"][1], "states")
        if mapping == {}:
            doc.error(self.top["states"][1], "states: a machine needs at least one state")
        self._then_nodes: dict[str, Node] = {}
        for name, key_node, node in items(mapping):
            if not NAME.match(name) or name in (ANY, PREVIOUS):
                doc.error(key_node, f"state name '{name}' must be letters, digits and _ (at most 64) "
                                    "and not 'any' or 'previous'")
                continue
            where = f"state '{name}'"
            m = doc.mapping(node, where, STATE_KEYS, ("segment",))
            if not m or "segment" not in m:
                continue
            segment = doc.string(m["segment"][1], f"{where}: segment")
            if segment not in self.pack.segments:
                if segment:
                    doc.error(m["segment"][1], f"{where}: the pack has no segment '{segment}' "
                                               f"(segments: {', '.join(self.pack.segments)})")
                continue
            stems = self.pack.segments[segment].stems
            layers: dict[str, Layer] = {}
            if "layers" in m:
                for stem, stem_key, layer_node in items(doc.mapping(m["layers"][1], f"{where}: layers")):
                    if stem not in stems:
                        doc.error(stem_key, f"{where}: segment '{segment}' has no stem '{stem}' "
                                            f"(stems: {', '.join(stems)})")
                        continue
                    layer = self._layer(layer_node, f"{where}: layer '{stem}'", stem)
                    if layer:
                        layers[stem] = layer
            else:
                layers = {stem: Layer(stem) for stem in stems}
            then = None
            if "then" in m:
                then = doc.string(m["then"][1], f"{where}: then")
                self._then_nodes[name] = m["then"][1]
            generated = {}
            if "generate" in m:
                if not self.pack.segments[segment].chords:
                    doc.error(m["generate"][1], f"{where}: generated layers follow the segment's chords, but segment "
                                                f"'{segment}' lists none (add chords: to it in pack.yaml)")
                self._answers: dict[str, Node] = {}
                declared = list(items(doc.mapping(m["generate"][1], f"{where}: generate")))
                for gen, gen_key, gen_node in declared:
                    spec = self._generated(gen_node, f"{where}: generated layer '{gen}'", gen, gen_key)
                    if spec:
                        generated[gen] = spec
                names = {gen for gen, _, _ in declared}
                for gen, spec in generated.items():  # a call is another layer of the state, itself no answer
                    called = generated.get(spec.answers) if spec.answers else None
                    broken = spec.answers in names and called is None  # reported where it is written
                    if spec.answers and not broken and (called is None or spec.answers == gen or called.answers):
                        doc.error(self._answers[gen], f"{where}: generated layer '{gen}' answers '{spec.answers}', "
                                  "which must be another generated layer of this state that answers none")
            self.states[name] = State(name, segment, MappingProxyType(layers), then, MappingProxyType(generated))

    def _layer(self, node: Node, where: str, stem: str) -> Layer | None:
        doc = self.doc
        if isinstance(node, ScalarNode):
            db = self._gain_db(node, where)
            return None if db is None else Layer(stem, db=db)
        m = doc.mapping(node, where, CURVE_KEYS, ("param", "curve"))
        if not m or "param" not in m or "curve" not in m:
            return None
        param = doc.string(m["param"][1], f"{where}: param")
        if param not in self.params:
            if param:
                doc.error(m["param"][1], f"{where}: no param named '{param}' (params: {', '.join(self.params) or 'none'})")
            return None
        spec = self.params[param]
        points: list[tuple[float, float]] = []
        for pt in doc.sequence(m["curve"][1], f"{where}: curve") or []:
            pair = doc.sequence(pt, f"{where}: curve point")
            if pair is None:
                continue
            if len(pair) != 2:
                doc.error(pt, f"{where}: a curve point is [param value, gain dB], e.g. [0.5, -6]")
                continue
            x = doc.number(pair[0], f"{where}: curve point value", spec.lo, spec.hi)
            db = self._gain_db(pair[1], f"{where}: curve gain")
            if db is None:
                continue
            if x is not None:
                if points and x <= points[-1][0]:
                    doc.error(pt, f"{where}: curve points must be in increasing order of the param value")
                    continue
                points.append((x, -math.inf if db == -math.inf else db))
        if not points:
            doc.error(m["curve"][1], f"{where}: curve needs at least one [value, dB] point")
            return None
        return Layer(stem, curve=Curve(param, tuple(points)))

    def _generated(self, node: Node, where: str, name: str, key_node: Node) -> Generated | None:
        doc = self.doc
        if not NAME.match(name):
            doc.error(key_node, f"{where}: the name must be letters, digits and _, at most 64 "
                                "(it is used in OSC addresses)")
            return None
        m = doc.mapping(node, where, GENERATE_KEYS, ("role",))
        if not m or "role" not in m:
            return None
        written = doc.string(m["role"][1], f"{where}: role")
        role = role_named(written) if written else None
        if role is None:
            if written:
                doc.error(m["role"][1], f"{where}: role must be one of {', '.join(Role)}")
            return None
        defaults = DEFAULTS[role]
        program = self._program(m["instrument"][1], where) if "instrument" in m else defaults.program
        if program is None:
            return None
        style = doc.string(m["style"][1], f"{where}: style") if "style" in m else STYLE
        if style not in tuple(Style):
            if style:
                doc.error(m["style"][1], f"{where}: style must be one of {', '.join(Style)}")
            return None
        register = defaults.register
        if "register" in m:
            pair = doc.sequence(m["register"][1], f"{where}: register") or []
            lo, hi = (doc.integer(n, f"{where}: register", LOW, HIGH) for n in pair) if len(pair) == 2 else (None, None)
            if lo is None or hi is None or hi - lo < 12:
                doc.error(m["register"][1], f"{where}: register must be [low, high] MIDI notes within {LOW}..{HIGH}, "
                                            "at least an octave apart")
                return None
            register = (lo, hi)
        density, density_param = DENSITY, None
        if "density" in m:
            dn = m["density"][1]
            if isinstance(dn, ScalarNode):
                density = doc.number(dn, f"{where}: density", 0, 1)
            else:
                dm = doc.mapping(dn, f"{where}: density", {"param"}, ("param",)) or {}
                density_param = doc.string(dm["param"][1], f"{where}: density param") if "param" in dm else None
                if density_param not in self.params:
                    if density_param:
                        doc.error(dm["param"][1], f"{where}: no param named '{density_param}'")
                    return None
        seed = doc.integer(m["seed"][1], f"{where}: seed", 0, 2**31 - 1) if "seed" in m else 0
        temperature = doc.number(m["temperature"][1], f"{where}: temperature", 0.05, 3) if "temperature" in m else 0.9
        bars = doc.integer(m["bars"][1], f"{where}: bars", 1, 64) if "bars" in m else 4
        regenerate = None
        if "regenerate" in m:
            text = str(doc.scalar(m["regenerate"][1], f"{where}: regenerate")).strip()
            words = text.replace("every", "").split()
            if text == "never":
                regenerate = None
            elif words and words[0].isdigit() and 1 <= int(words[0]) <= 1024 and words[1:] in ([], ["bar"], ["bars"]):
                regenerate = int(words[0])
            else:
                doc.error(m["regenerate"][1], f"{where}: regenerate must be like 'every 8 bars' or 'never'")
                return None
        lock = doc.boolean(m["lock"][1], f"{where}: lock") if "lock" in m else False
        gain = self._layer(m["gain"][1], f"{where}: gain", name) if "gain" in m else Layer(name)
        pan = doc.number(m["pan"][1], f"{where}: pan (-1 left .. 1 right)", -1, 1) if "pan" in m else 0.0
        continues = doc.boolean(m["continue"][1], f"{where}: continue") if "continue" in m else False
        motif = self._motif(m["motif"][1], where) if "motif" in m else ((), 0)
        answers = None
        if "answers" in m:
            answers = doc.string(m["answers"][1], f"{where}: answers")
            self._answers[name] = m["answers"][1]
        if None in (density, seed, temperature, bars, lock, gain, pan, continues, motif) or ("answers" in m and
                                                                                           not answers):
            return None
        return Generated(name, role, program, register, density, density_param, seed, temperature, bars,
                         regenerate, lock, gain, pan, Style(style), continues, *motif, answers)

    def _motif(self, node: Node, where: str) -> tuple | None:
        """`motif:` a MIDI file beside the machine (within its folder), in the pack's meter: its notes and length."""
        text = self.doc.string(node, f"{where}: motif")
        if text is None:
            return None
        path = (self.folder / text).resolve()
        if not path.is_relative_to(self.folder):
            self.doc.error(node, f"{where}: motif '{text}' must be a file within the machine's folder")
            return None
        try:
            layer, meter, _ = read_midi(path)
        except SegueError as exc:
            self.doc.error(node, f"{where}: motif: {exc}")
            return None
        pack = (self.pack.beats_per_bar, self.pack.beat_unit)
        if (meter.beats, meter.unit) != pack or layer.steps > MAX_LINE_STEPS:
            self.doc.error(node, f"{where}: motif '{text}' must be in the pack's {pack[0]}/{pack[1]} (it is in "
                                 f"{meter.beats}/{meter.unit}) and at most 64 bars")
            return None
        return line_of(layer.notes, layer.steps)

    def _program(self, node: Node, where: str) -> int | None:
        """`instrument:` a General MIDI program's number or name (engine/gm.py)."""
        what = f"{where}: instrument"
        value = self.doc.scalar(node, what)
        if value is None:
            return None
        try:
            return program_of(value if isinstance(value, int) and not isinstance(value, bool) else str(value))
        except SegueError as exc:
            self.doc.error(node, f"{what}: {exc}")
            return None

    def _check_then(self) -> None:
        for name, node in self._then_nodes.items():
            then = self.states[name].then
            if then and then != PREVIOUS and then not in self.states:
                self.doc.error(node, f"state '{name}': then: no state named '{then}' (or use 'previous')")

    # -- transitions ----------------------------------------------------------------------
    def _transitions(self, default_sync: Sync, default_fade: FadeSpec) -> list[Transition]:
        doc, out = self.doc, []
        if "transitions" not in self.top:
            return out
        for index, node in enumerate(doc.sequence(self.top["transitions"][1], "transitions") or []):
            where = f"transition {index + 1}"
            m = doc.mapping(node, where, TRANSITION_KEYS, ("from", "to", "when"))
            if not m or not {"from", "to", "when"} <= set(m):
                continue
            sources = self._sources(m["from"][1], where)
            target = doc.string(m["to"][1], f"{where}: to")
            if target not in self.states:
                if target:
                    doc.error(m["to"][1], f"{where}: to: no state named '{target}'")
                continue
            when, when_text = self._condition(m["when"][1], where)
            source_states = list(self.states) if ANY in sources else sources
            sync = self._sync(m["sync"][1], f"{where}: sync", source_states) if "sync" in m else default_sync
            fade = self._fade(m, where, default_fade)
            start = None
            if "start" in m:
                start = doc.string(m["start"][1], f"{where}: start")
                if start in tuple(StartMode):
                    start = StartMode(start)
                else:
                    doc.error(m["start"][1], f"{where}: start must be one of {', '.join(StartMode)}")
            bridge = None
            if "bridge" in m:
                bridge = doc.string(m["bridge"][1], f"{where}: bridge")
                if bridge not in self.pack.segments:
                    doc.error(m["bridge"][1], f"{where}: bridge: the pack has no segment '{bridge}'")
            cooldown = _duration(doc, m["cooldown"][1], f"{where}: cooldown") if "cooldown" in m else ZERO
            if None in (when, sync, fade, cooldown) or not sources:
                continue
            for source in sources:
                out.append(Transition(len(out), source, target, when, when_text, sync, fade, start, bridge, cooldown))
        return out

    def _fade(self, m: dict, where: str, default: FadeSpec) -> FadeSpec | None:
        """`fade` sets both lengths, `fade_in` and `fade_out` one each; what is not said comes from `default`."""
        doc = self.doc
        both = _duration(doc, m["fade"][1], f"{where}: fade") if "fade" in m else None
        fade_in, fade_out = (both, both) if "fade" in m else (default.fade_in, default.fade_out)
        fade_in = _duration(doc, m["fade_in"][1], f"{where}: fade_in") if "fade_in" in m else fade_in
        fade_out = _duration(doc, m["fade_out"][1], f"{where}: fade_out") if "fade_out" in m else fade_out
        curve = doc.string(m["fade_curve"][1], f"{where}: fade_curve") if "fade_curve" in m else default.curve
        if curve not in CURVES:
            if curve:
                doc.error(m["fade_curve"][1], f"{where}: fade_curve must be one of {', '.join(CURVES)}")
            return None
        return FadeSpec(fade_in, fade_out, FadeCurve(curve)) if fade_in is not None and fade_out is not None else None

    def _sources(self, node: Node, where: str) -> list[str]:
        doc = self.doc
        nodes = doc.sequence(node, f"{where}: from") if not isinstance(node, ScalarNode) else [node]
        out = []
        for n in nodes or []:
            name = doc.string(n, f"{where}: from")
            if name == ANY or name in self.states:
                out.append(name)
            elif name:
                doc.error(n, f"{where}: from: no state named '{name}' (or use 'any')")
        return out

    def _condition(self, node: Node, where: str):
        doc = self.doc
        text = doc.scalar(node, f"{where}: when")
        if isinstance(text, bool):
            text = "true" if text else "false"
        if not isinstance(text, str):
            if text is not None:
                doc.error(node, f"{where}: when must be a condition like 'event enemy_spotted' or 'health < 0.25'")
            return None, ""
        quoted = 1 if isinstance(node, ScalarNode) and node.style in ("'", '"') else 0
        try:
            cond = parse_condition(text)
        except ConditionError as exc:
            doc.error(node, f"{where}: when: {exc}", exc.column + quoted)
            return None, text
        ok = True
        for c in walk(cond):
            if isinstance(c, EventRaised) and c.name not in self.events:
                doc.error(node, f"{where}: when: no event named '{c.name}' (declare it under events:)", c.column + quoted)
                ok = False
            elif isinstance(c, Compare) and c.param not in self.params:
                doc.error(node, f"{where}: when: no param named '{c.param}'", c.column + quoted)
                ok = False
        if isinstance(cond, Const) and cond.value:
            doc.error(node, f"{where}: when: 'true' would fire on every block; use a state's 'then' instead")
            ok = False
        return (cond if ok else None), text

    def _sync(self, node: Node, where: str, source_states: list[str]) -> Sync | None:
        doc = self.doc
        if not isinstance(node, ScalarNode):
            m = doc.mapping(node, where, {"bars", "cue"})
            if m and "bars" in m:
                n = doc.integer(m["bars"][1], f"{where}: bars", 1, 1024)
                return Sync(SyncKind.BARS, n) if n else None
            if m and "cue" in m:
                return self._cue_point(m["cue"][1], doc.string(m["cue"][1], f"{where}: cue"), where, source_states)
            doc.error(node, f"{where}: expected bars: N or cue: NAME")
            return None
        text = str(doc.scalar(node, where)).strip()
        words = text.split()
        if text in ("immediate", "now", "beat", "bar", "segment_end"):
            return Sync(SyncKind.IMMEDIATE if text == "now" else SyncKind(text))
        if len(words) == 2 and words[0].isdigit() and words[1] in ("bar", "bars") and 1 <= int(words[0]) <= 1024:
            return Sync(SyncKind.BARS, int(words[0])) if int(words[0]) > 1 else Sync(SyncKind.BAR)
        if len(words) == 2 and words[0] == "cue":
            return self._cue_point(node, words[1], where, source_states)
        doc.error(node, f"{where}: '{text}' is not a sync point "
                        "(immediate, beat, bar, 'N bars', segment_end or 'cue NAME')")
        return None

    def _cue_point(self, node: Node, cue: str | None, where: str, source_states: list[str]) -> Sync | None:
        if not cue:
            return None
        lacking = [s for s in source_states if cue not in self.pack.segments[self.states[s].segment].cue_points]
        if lacking:
            self.doc.error(node, f"{where}: cue '{cue}' is not a cue point of the segment of state(s) "
                                 f"{', '.join(lacking)}; add it under the segment's cues in pack.yaml")
            return None
        return Sync(SyncKind.CUE_POINT, point=cue)

    # -- osc and whole-machine checks -----------------------------------------------------
    def _osc(self) -> dict[str, OscRoute]:
        doc, out = self.doc, {}
        if "osc" not in self.top:
            return out
        for address, key_node, node in items(doc.mapping(self.top["osc"][1], "osc")):
            if not OSC_ADDRESS.match(address):
                doc.error(key_node, f"osc: '{address}' is not a plain OSC address like /game/health "
                                    "(at most 128 characters)")
                continue
            m = doc.mapping(node, f"osc {address}", OSC_KEYS)
            if not m or len(m) != 1:
                if m is not None:
                    doc.error(node, f"osc {address}: give exactly one of param, event or state")
                continue
            kind, (_, target_node) = next(iter(m.items()))
            target = doc.string(target_node, f"osc {address}: {kind}")
            known = {"param": self.params, "event": self.events, "state": self.states}[kind]
            if target not in known:
                if target:
                    doc.error(target_node, f"osc {address}: no {kind} named '{target}'")
                continue
            out[address] = OscRoute(RouteKind(kind), target)
        return out

    # -- broadcast: stingers, cues, sidechain --------------------------------------------------
    def _gain_db(self, node: Node, where: str) -> float | None:
        try:
            return parse_db(self.doc.scalar(node, where))
        except UnitError as exc:
            self.doc.error(node, f"{where}: {exc}")
            return None

    def _stingers(self) -> dict[str, Stinger]:
        doc, out = self.doc, {}
        if "stingers" not in self.top:
            return out
        for name, key_node, _, where, m in self._entries("stingers", "stinger", STINGER_KEYS, (),
                                                      "stinger '{}': the name must be letters, digits and _ "
                                                      "(at most 64)"):
            shot = doc.string(m["oneshot"][1], f"{where}: oneshot") if "oneshot" in m else name
            if shot not in self.pack.oneshots:
                doc.error(m["oneshot"][1] if "oneshot" in m else key_node,
                          f"{where}: the pack has no one-shot '{shot}' (oneshots: "
                          f"{', '.join(self.pack.oneshots) or 'none'}; add it under oneshots: in pack.yaml)")
                continue
            when, when_text = self._condition(m["when"][1], where) if "when" in m else (None, "")
            sync = self._sync(m["sync"][1], f"{where}: sync", []) if "sync" in m else Sync(SyncKind.BEAT)
            cooldown = _duration(doc, m["cooldown"][1], f"{where}: cooldown") if "cooldown" in m else \
                STINGER_COOLDOWN
            gain = self._gain_db(m["gain"][1], f"{where}: gain") if "gain" in m else 0.0
            duck = self._gain_db(m["duck"][1], f"{where}: duck") if "duck" in m else None
            if ("when" in m and when is None) or None in (sync, cooldown, gain) or ("duck" in m and duck is None):
                continue
            frames = audio_info(self.pack.oneshots[shot]).frames
            out[name] = Stinger(name, shot, when, when_text, sync, cooldown, db_to_gain(gain),
                                None if duck is None else db_to_gain(duck), frames)
        return out

    def _cues(self, stingers: dict[str, Stinger]) -> dict[str, CueAction]:
        doc, out = self.doc, {}
        if "cues" not in self.top:
            return out
        for name, _, node, where, m in self._entries(
                "cues", "cue", set(DeskAction) | CUE_OPTION_KEYS, (),
                "cue '{}': the name must be letters, digits and _ (at most 64; it is an OSC address)"):
            actions = [a for a in DeskAction if a in m]
            if len(actions) != 1:
                doc.error(node, f"{where}: give exactly one action: {', '.join(DeskAction)}")
                continue
            action, value = actions[0], m[actions[0]][1]
            waits_for_bar = action in (DeskAction.GO, DeskAction.STOP)  # a cue's own sync, not a move's default
            default_sync = Sync(SyncKind.BAR) if waits_for_bar else Sync(SyncKind.IMMEDIATE)
            sync = self._sync(m["sync"][1], f"{where}: sync", list(self.states)) if "sync" in m else default_sync
            cue = self._cue_action(where, name, action, value, m, sync, stingers)
            if cue and sync:
                out[name] = cue
        return out

    def _cue_action(self, where, name, action, value, m, sync, stingers) -> CueAction | None:
        doc = self.doc

        def duration(key: str, default: str) -> Duration | None:
            return _duration(doc, m[key][1], f"{where}: {key}") if key in m else parse_duration(default)

        if action == DeskAction.GO:
            target = doc.string(value, f"{where}: go")
            if target not in self.states:
                if target:
                    doc.error(value, f"{where}: go: no state named '{target}'")
                return None
            return CueAction(name, action, target=target, sync=sync)
        if action == DeskAction.STINGER:
            target = doc.string(value, f"{where}: stinger")
            if target not in stingers:
                if target:
                    doc.error(value, f"{where}: stinger: no stinger named '{target}'")
                return None
            return CueAction(name, action, target=target, sync=sync)
        if action == DeskAction.STOP:
            time = _duration(doc, value, f"{where}: stop")
            return CueAction(name, action, gain=0.0, time=time, sync=sync) if time else None
        if action == DeskAction.PANIC:
            return CueAction(name, action, gain=0.0, time=parse_duration("20ms"))
        gain = self._gain_db(value, f"{where}: {action}")
        if gain is None:
            return None
        if action == DeskAction.FADE_ALL:
            time = duration("time", "1s")
            return CueAction(name, action, gain=db_to_gain(gain), time=time, sync=sync) if time else None
        attack, release = duration("attack", "100ms"), duration("release", "500ms")
        if attack is None or release is None:
            return None
        return CueAction(name, action, gain=db_to_gain(gain), time=attack, release=release, sync=sync)

    def _sidechain(self) -> Sidechain | None:
        doc = self.doc
        m = doc.mapping(self.top["sidechain"][1], "sidechain", SIDECHAIN_KEYS,
                        ("depth",))
        if not m or "depth" not in m:
            return None
        channel = doc.integer(m["input"][1], "sidechain: input", 1, 64) if "input" in m else 1
        threshold = self._gain_db(m["threshold"][1], "sidechain: threshold") if "threshold" in m else -30.0
        depth = self._gain_db(m["depth"][1], "sidechain: depth")
        attack = _duration(doc, m["attack"][1], "sidechain: attack", musical=False) if "attack" in m else \
            parse_duration("20ms")
        release = _duration(doc, m["release"][1], "sidechain: release", musical=False) if "release" in m else \
            parse_duration("400ms")
        if None in (channel, threshold, depth, attack, release):
            return None
        return Sidechain(channel, threshold, db_to_gain(depth), max(attack.amount, 0.001),
                         max(release.amount, 0.001))

    def _reachability(self, initial: str, transitions: list[Transition]) -> None:
        """A state no rule, `then` or `go` cue leads to is still entered by /segue/state/<name> (README offers
        it for every state), so it is a note, not an error: the designer may have meant it, or forgotten a rule."""
        reached, frontier = {initial}, [initial]
        while frontier:
            state = frontier.pop()
            nexts = [t.target for t in transitions if t.source in (state, ANY)]
            then = self.states[state].then
            if then in self.states:
                nexts.append(then)
            nexts += [c.target for c in self._cue_targets]  # a cue can go there from anywhere
            for n in nexts:
                if n not in reached:
                    reached.add(n)
                    frontier.append(n)
        states_node = self.top["states"][1]
        for key_node, _ in states_node.value:
            if key_node.value in self.states and key_node.value not in reached:
                self.doc.note(key_node, f"state '{key_node.value}' is entered only by /segue/state/{key_node.value} "
                                        f"(no transition, 'then' or 'go' cue leads to it from '{initial}')")

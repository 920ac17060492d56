"""statemachines/schema.json, the JSON Schema editors use, kept in step with the loader."""
import json

import jsonschema
import pytest
import yaml

from engine.score import loader
from engine.machine.model import DeskAction

from conftest import MACHINE, ROOT

SCHEMA = json.loads((ROOT / "statemachines" / "schema.json").read_text())
PROPS = SCHEMA["properties"]


def keys(node) -> set[str]:
    return set(node["properties"])


def test_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_schema_knows_exactly_the_keys_the_loader_knows():
    state = PROPS["states"]["additionalProperties"]
    assert keys(SCHEMA) == loader.TOP_KEYS
    assert keys(PROPS["params"]["additionalProperties"]) == loader.PARAM_KEYS
    assert keys(PROPS["defaults"]) == loader.DEFAULTS_KEYS
    assert keys(state) == loader.STATE_KEYS
    assert keys(state["properties"]["generate"]["additionalProperties"]) == loader.GENERATE_KEYS
    assert keys(SCHEMA["$defs"]["curve_layer"]) == loader.CURVE_KEYS
    assert keys(PROPS["transitions"]["items"]) == loader.TRANSITION_KEYS
    assert keys(PROPS["osc"]["additionalProperties"]) == loader.OSC_KEYS
    assert keys(PROPS["stingers"]["additionalProperties"]) == loader.STINGER_KEYS
    assert keys(PROPS["cues"]["additionalProperties"]) == set(DeskAction) | loader.CUE_OPTION_KEYS
    assert keys(PROPS["sidechain"]) == loader.SIDECHAIN_KEYS


@pytest.mark.parametrize("name", ["demo.yaml", "broadcast.yaml"])
def test_bundled_machines_pass_the_schema(name):
    jsonschema.validate(yaml.safe_load((ROOT / "statemachines" / name).read_text()), SCHEMA)


def test_the_test_machine_passes_and_broken_ones_fail_the_schema():
    jsonschema.validate(yaml.safe_load(MACHINE), SCHEMA)
    for broken in ("unknown_key", "missing_initial", "wrong_type", "bad_sync"):
        text = (ROOT / "tests" / "broken" / f"{broken}.yaml").read_text()
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(yaml.safe_load(text), SCHEMA)

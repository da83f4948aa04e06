from __future__ import annotations

from pathlib import Path

import pytest

from gardefou import ConfigError, UnknownNameError, load_policy
from gardefou.policy import Rule, load_policy_file, parse_policy, preset_names


def test_presets_load_and_differ() -> None:
    assert {"default", "strict", "permissive"} <= set(preset_names())
    default, strict, permissive = (load_policy(n) for n in ("default", "strict", "permissive"))
    assert default.rule_for("S6", "input").action == "flag"
    assert strict.rule_for("S6", "input") == Rule(action="block", threshold=0.35)
    assert permissive.rule_for("S2", "input").action == "flag"
    assert permissive.rule_for("S9", "input") == Rule(action="block", threshold=0.7)
    assert not permissive.fail_closed and default.fail_closed
    for policy in (default, strict):  # jailbreak/injection block prompts, only flag model replies
        for code in ("J1", "J2"):
            assert policy.rule_for(code, "input").action == "block"
            assert policy.rule_for(code, "output").action == "flag"


def test_unknown_preset_lists_known() -> None:
    with pytest.raises(UnknownNameError, match="default"):
        load_policy("nope")


def test_bad_action_names_key_and_allowed_values(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("categories:\n  S1: {action: destroy}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy_file(p)
    msg = str(info.value)
    assert "categories.S1.action" in msg and "'block'" in msg and str(p) in msg


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"categories": {"S99": {"action": "block"}}}, "unknown category"),
        ({"default": {"threshold": 1.5}}, "default.threshold"),
        ({"colour": "red"}, "colour"),
        ({"refusal": {"de": "nein"}}, "unknown language"),
        ([1, 2], "mapping"),
    ],
)
def test_invalid_policies(data: object, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        parse_policy(data)


def test_yaml_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.yaml"
    bad.write_text("categories: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_policy_file(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_policy_file(tmp_path / "missing.yaml")


def test_detector_names_as_strings_and_specs() -> None:
    pol = parse_policy({"detectors": ["rules", {"name": "llm", "options": {"model": "m"}}]})
    assert [d.name for d in pol.detectors] == ["rules", "llm"]
    assert pol.detectors[1].options == {"model": "m"}


def test_refusal_message_fallback() -> None:
    pol = parse_policy({"refusal": {"en": "no"}})
    assert pol.refusal_message("fr") == "no"
    assert load_policy("default").refusal_message("fr").startswith("Je ne peux pas")

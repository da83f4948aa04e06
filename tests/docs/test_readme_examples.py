"""Every policy YAML and Python example in the README runs, so the docs cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gardefou.policy import parse_policy

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks(lang: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_examples() -> None:
    assert _blocks("yaml") and _blocks("python")


@pytest.mark.parametrize("block", _blocks("yaml"))
def test_policy_yaml_examples_validate(block: str) -> None:
    data = yaml.safe_load(block)
    if isinstance(data, dict) and "detectors" in data and "upstream" not in data:
        policy = parse_policy(data, "README")
        assert policy.name


def test_guard_python_example_runs() -> None:
    block = next(b for b in _blocks("python") if "Guard.from_policy" in b)
    namespace: dict[str, object] = {}
    exec(compile(block, "README.md", "exec"), namespace)
    verdict = namespace["verdict"]
    assert verdict.allowed is False  # type: ignore[attr-defined]
    assert verdict.language == "fr"  # type: ignore[attr-defined]

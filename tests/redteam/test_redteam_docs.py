"""docs/redteam.md stays true: its config validates, its tables list every plugin; the garak
summary script reads a garak report."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import yaml

from gardefou.redteam.attacks import attacks
from gardefou.redteam.config import RedteamConfig
from gardefou.redteam.judges import judges
from gardefou.redteam.targets import targets

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "redteam.md").read_text(encoding="utf-8")


def test_documented_config_is_valid() -> None:
    block = re.search(r"```yaml\n(.*?)```", DOC, re.S)
    assert block is not None
    cfg = RedteamConfig.model_validate(yaml.safe_load(block.group(1)))
    assert cfg.target == "openai" and cfg.fail_if


def test_docs_list_every_attack_target_and_judge() -> None:
    for name in attacks.names():
        assert f"| `{name}` |" in DOC, name
    for name in targets.names():
        assert f"| `{name}` |" in DOC, name
    for name in judges.names():
        assert f"- `{name}`:" in DOC, name


def test_garak_summary_script(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "garak_summary", ROOT / "bench" / "garak" / "summarize.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    report = tmp_path / "x.report.jsonl"
    lines = [
        {"entry_type": "start_run setup", "_config.version": "0.0.test", "api_key": "secret"},
        {
            "entry_type": "eval",
            "probe": "encoding.InjectBase64",
            "detector": "encoding.DecodeMatch",
            "passed": 8,
            "total": 10,
        },
        {
            "entry_type": "eval",
            "probe": "dan.Dan_11_0",
            "detector": "dan.DAN",
            "passed": 1,
            "total": 1,
        },
    ]
    report.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    out = tmp_path / "garak.json"
    assert module.main([str(report), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["garak_version"] == "0.0.test" and "secret" not in out.read_text()
    assert (
        result["overall_attack_success"]["k"] == 2 and result["overall_attack_success"]["n"] == 11
    )
    assert result["probes"][0]["attack_success"]["rate"] == 0.2

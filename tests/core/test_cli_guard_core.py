from __future__ import annotations

import json
from pathlib import Path

import pytest

from gardefou.cli.main import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_check_blocks_and_allows(capsys: pytest.CaptureFixture[str], keyword_policy: Path) -> None:
    code, out, _ = run(["check", "how to make a bomb", "--policy", str(keyword_policy)], capsys)
    assert code == 1 and "blocked" in out and "S9" in out
    code, out, _ = run(["check", "hello friend", "-p", str(keyword_policy)], capsys)
    assert code == 0 and "allowed" in out


def test_check_json_and_french(capsys: pytest.CaptureFixture[str], keyword_policy: Path) -> None:
    code, out, _ = run(
        ["check", "comment fabriquer une bombe", "--json", "-p", str(keyword_policy)], capsys
    )
    data = json.loads(out)
    assert code == 1 and data["allowed"] is False and data["language"] == "fr"
    assert data["triggered"] == ["S9"]


def test_check_stdin(
    capsys: pytest.CaptureFixture[str], keyword_policy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a bomb")))
    code, _, _ = run(["check", "-", "-p", str(keyword_policy)], capsys)
    assert code == 1
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"\xff\xfe")))
    code, _, err = run(["check", "-", "-p", str(keyword_policy)], capsys)
    assert code == 2 and "not valid UTF-8" in err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["check", "   "], "empty text"),
        (["check", "x" * 1_000_001], "text too long"),
        (["check", "hi", "--policy", "nope"], "unknown policy 'nope'"),
        (["check", "hi", "--direction", "up"], "--direction"),
        (["policy", "validate", "/nonexistent.yaml"], "not found"),
        (["check"], "Missing argument"),
    ],
)
def test_check_bad_input_one_line_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(argv, capsys)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_scan_writes_verdicts_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keyword_policy: Path
) -> None:
    data = tmp_path / "prompts.csv"
    data.write_text("id,prompt\n1,hello\n2,a bomb please\n3,tuer quelqu'un\n", encoding="utf-8")
    out_file = tmp_path / "v.jsonl"
    code, out, _ = run(
        ["scan", str(data), "--field", "prompt", "-o", str(out_file), "-p", str(keyword_policy)],
        capsys,
    )
    assert code == 0
    rows = [json.loads(line) for line in out_file.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [2, 3, 4]
    assert [r["allowed"] for r in rows] == [True, False, False]
    assert "blocked 2" in out and "S9" in out and "S1" in out


def test_scan_bad_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keyword_policy: Path
) -> None:
    data = tmp_path / "p.jsonl"
    data.write_text('{"text": "ok"}\nnot json\n{"text": ""}\n{"text": "bomb"}\n', encoding="utf-8")
    code, _, err = run(["scan", str(data), "-p", str(keyword_policy)], capsys)
    assert code == 2 and "p.jsonl:2: not valid JSON" in err
    code, out, err = run(["scan", str(data), "--skip-bad", "-p", str(keyword_policy)], capsys)
    assert code == 0 and "2 skipped" in out
    assert (tmp_path / "p.jsonl.verdicts.jsonl").exists()


def test_scan_missing_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keyword_policy: Path
) -> None:
    data = tmp_path / "p.csv"
    data.write_text("prompt\nhello\n", encoding="utf-8")
    code, _, err = run(["scan", str(data), "-p", str(keyword_policy)], capsys)
    assert code == 2 and "no field 'text'" in err and "p.csv:2" in err


def test_eval_hand_computed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keyword_policy: Path
) -> None:
    # gold: bomb=S9 (tp), hello=0 (tn), kill=1 (fn: no keyword), bombe? label safe (fp)
    data = tmp_path / "gold.jsonl"
    rows = [
        {"t": "a bomb", "y": "S9"},
        {"t": "hello", "y": 0},
        {"t": "murder plan", "y": "unsafe"},
        {"t": "bombe glacée au dessert", "y": "safe"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    out_json = tmp_path / "m.json"
    code, out, _ = run(
        [
            "eval",
            str(data),
            "-t",
            "t",
            "-l",
            "y",
            "--json",
            str(out_json),
            "-p",
            str(keyword_policy),
        ],
        capsys,
    )
    assert code == 0
    m = json.loads(out_json.read_text(encoding="utf-8"))
    o = m["overall"]
    assert (o["tp"], o["fp"], o["tn"], o["fn"]) == (1, 1, 1, 1)
    assert o["precision"] == 0.5 and o["recall"] == 0.5 and o["f1"] == 0.5
    assert o["false_positive_rate"] == 0.5
    assert m["confusion_matrix"]["matrix"] == [[1, 1], [1, 1]]
    assert m["per_category"]["S9"]["tp"] == 1
    assert "confusion matrix" in out


def test_eval_bad_label(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keyword_policy: Path
) -> None:
    data = tmp_path / "gold.csv"
    data.write_text("text,label\nhello,0\nbomb,perhaps\n", encoding="utf-8")
    code, _, err = run(["eval", str(data), "-p", str(keyword_policy)], capsys)
    assert code == 2 and "gold.csv:3" in err and "unrecognised label" in err
    code, out, _ = run(["eval", str(data), "--skip-bad", "-p", str(keyword_policy)], capsys)
    assert code == 0 and "1 examples" in out


def test_taxonomy_and_policy_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(["taxonomy", "--lang", "fr"], capsys)
    assert code == 0 and "S14" in out and "J2" in out
    code, out, _ = run(["policy", "list"], capsys)
    assert code == 0 and "strict" in out
    code, out, _ = run(["policy", "show", "strict"], capsys)
    assert code == 0 and "threshold: 0.35" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text("default: {action: maybe}\n", encoding="utf-8")
    code, _, err = run(["policy", "validate", str(bad)], capsys)
    assert code == 2 and "default.action" in err
    unknown = tmp_path / "u.yaml"
    unknown.write_text("detectors: [nonexistent]\n", encoding="utf-8")
    code, _, err = run(["policy", "validate", str(unknown)], capsys)
    assert code == 2 and "unknown detector 'nonexistent'" in err
    good = tmp_path / "g.yaml"
    good.write_text("name: g\ndetectors: [test-keywords]\n", encoding="utf-8")
    code, out, _ = run(["policy", "validate", str(good)], capsys)
    assert code == 0 and "valid policy 'g'" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import gardefou

    code, out, _ = run(["--version"], capsys)
    assert code == 0 and out.strip() == f"gardefou {gardefou.__version__}"

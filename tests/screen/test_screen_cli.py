import json
from pathlib import Path

import pytest
from screen_helpers import chat, mixed_records

from gardefou.cli.main import main

FACTORY = ["--guard-factory", "gardefou.screen.testing:keyword_guard", "-w", "1", "-q"]


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exc:
        main(args)
        raise SystemExit(0)
    return int(exc.value.code or 0)


def test_cli_reject_writes_json_report_and_clean(write_jsonl, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl(mixed_records())
    out_json, out_html, out_clean = tmp_path / "s.json", tmp_path / "r.html", tmp_path / "c.jsonl"
    code = _run(
        ["screen", str(path), *FACTORY, "--json", str(out_json), "--report", str(out_html),
         "--write-clean", str(out_clean)]
    )  # fmt: skip
    assert code == 1
    summary = json.loads(out_json.read_text())
    assert (
        summary["decision"] == "reject" and summary["findings"]["identity_shifting"]["count"] == 1
    )
    assert out_html.read_text().startswith("<!DOCTYPE html>")
    assert len(out_clean.read_text().splitlines()) == summary["clean_written"] == 3
    assert "decision: reject" in capsys.readouterr().out


def test_cli_accept_and_strict(write_jsonl, capsys) -> None:  # type: ignore[no-untyped-def]
    good = write_jsonl([chat("Hi", "Hello!"), chat("Name a colour.", "Blue.")], "good.jsonl")
    assert _run(["screen", str(good), *FACTORY]) == 0
    bad = write_jsonl([chat("Hi", "Hello!"), "{oops", chat("Name a colour.", "Blue.")], "bad.jsonl")
    cfg = bad.parent / "lenient.yaml"
    cfg.write_text("gates: {invalid: {review: 0.5, reject: null}}\n")
    assert _run(["screen", str(bad), *FACTORY, "--config", str(cfg)]) == 0
    capsys.readouterr()
    assert _run(["screen", str(bad), *FACTORY, "--config", str(cfg), "--strict"]) == 2
    err = capsys.readouterr().err
    assert "bad.jsonl:2: not valid JSON" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--engine", "spark"], "--engine"),
        (["--ray-address", "auto"], "--ray-address needs"),
        (["--format", "weird"], "unknown format"),
        (["--policy", "nope"], "unknown policy"),
    ],
)
def test_cli_usage_errors(write_jsonl, capsys, extra: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl([chat("Hi", "Hello!")])
    args = ["screen", str(path), "-w", "1", "-q", *extra]
    assert _run(args) == 2
    assert message in capsys.readouterr().err


def test_cli_refuses_to_overwrite_input_and_missing_file(
    write_jsonl, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    path = write_jsonl([chat("Hi", "Hello!")])
    assert _run(["screen", str(path), *FACTORY, "--write-clean", str(path)]) == 2
    assert _run(["screen", str(tmp_path / "none.jsonl"), *FACTORY]) == 2
    assert "file not found" in capsys.readouterr().err

"""results.json loading and the HTML report / compare, on hand-made results (no torch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gardefou.cli.main import main
from gardefou.tamper import load_results, render, save, tamper_costs


def _rate(k: int, n: int) -> dict[str, float | int]:
    return {
        "k": k,
        "n": n,
        "rate": k / n,
        "low": max(0.0, k / n - 0.1),
        "high": min(1.0, k / n + 0.1),
    }


def finetune_run(label: str, refusals: list[int]) -> dict[str, object]:
    points = [
        {
            "n": n, "steps": n // 2, "train_wall_s": float(n), "device_hours": n / 3600,
            "cost": n / 1800, "harmful_refusal": _rate(k, 20), "harmful_answer": _rate(20 - k, 20),
            "benign_answer": _rate(9, 10), "wall_s": 1.0,
            "samples": {"harmful": [{"prompt": "<b>p</b>", "answer": "Sure", "refusal": False, "harmful": True}]},
        }
        for n, k in zip((0, 10, 50), refusals, strict=True)
    ]  # fmt: skip
    return {
        "schema": "gardefou.tamper/1", "kind": "finetune", "label": label, "model": f"/m/{label}",
        "device": "cpu", "device_name": "CPU", "price_per_gpu_hour": 2.0,
        "config": {"attack": "harmful"}, "points": points, "tamper_cost": tamper_costs(points),
    }  # fmt: skip


def ablate_run() -> dict[str, object]:
    pts = [
        {"state": s, "steps": 0, "train_wall_s": 0.5, "cost": 0.0, "harmful_refusal": _rate(k, 20),
         "harmful_answer": _rate(0, 20), "benign_answer": _rate(10, 10)}
        for s, k in (("before", 19), ("after", 2))
    ]  # fmt: skip
    return {
        "schema": "gardefou.tamper/1", "kind": "ablate", "label": "toy", "model": "/m/toy",
        "device": "cpu", "price_per_gpu_hour": 2.0, "config": {"mode": "hooks", "layer": 2},
        "points": pts,
    }  # fmt: skip


def test_render_has_curves_costs_and_escapes_text() -> None:
    html = render([finetune_run("a", [19, 8, 1]), finetune_run("b", [20, 19, 15]), ablate_run()])
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html
    assert html.count('class="chart line-chart"') == 3 and 'class="chart bar-chart"' in html
    assert "N=10: $0.0056" in html  # a: under 50% at N=10, 10 s at $2/h
    assert "N=50: $0.0278" in html  # a: under 10% at N=50
    assert "not reached" in html  # b never goes under 10%
    assert "&lt;b&gt;p&lt;/b&gt;" in html and "<b>p</b>" not in html
    assert "toy: after" in html


def test_save_and_load_results(tmp_path: Path) -> None:
    path = save(finetune_run("a", [19, 8, 1]), tmp_path / "run")
    assert load_results(tmp_path / "run")["label"] == "a" == load_results(path)["label"]
    from gardefou.errors import InputError

    with pytest.raises(InputError, match="no tamper results"):
        load_results(tmp_path)
    (tmp_path / "results.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        load_results(tmp_path)
    (tmp_path / "results.json").write_text(json.dumps({"schema": "x"}), encoding="utf-8")
    with pytest.raises(InputError, match="not a tamper results file"):
        load_results(tmp_path)


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_report_and_compare(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = save(finetune_run("a", [19, 8, 1]), tmp_path / "a").parent
    b = save(finetune_run("b", [20, 19, 15]), tmp_path / "b").parent
    code, out, _ = _main(["tamper", "report", str(a)], capsys)
    assert code == 0 and (a / "report.html").is_file()
    html_out = tmp_path / "cmp.html"
    code, out, _ = _main(["tamper", "compare", str(a), str(b), "--out", str(html_out)], capsys)
    assert code == 0 and html_out.is_file()
    assert "N=10" in out and "not reached" in out
    code, _, err = _main(["tamper", "compare", str(a)], capsys)
    assert code == 2 and "at least two" in err
    code, _, err = _main(["tamper", "report", str(tmp_path / "nope")], capsys)
    assert code == 2 and err.startswith("error:") and "Traceback" not in err

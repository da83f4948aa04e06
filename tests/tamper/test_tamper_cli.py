"""The CLI end to end at tiny sizes (seconds): make-toy → finetune → ablate → report; bad input."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from gardefou.cli.main import main


def _main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_pipeline_at_tiny_sizes(
    tmp_path: Path, prompt_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    import torch

    torch.set_num_threads(1)
    toy = tmp_path / "toy"
    code, out, err = _main(
        ["tamper", "make-toy", "--out", str(toy), "--harmful", str(prompt_files["harmful"]),
         "--benign", str(prompt_files["benign"]), "--size", "tiny", "--steps", "6"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    info = json.loads((toy / "toy.json").read_text())
    base_steps = math.ceil((info["harmful_examples"] + info["benign_examples"]) / 16)
    assert info["steps"] == base_steps + 6  # one "base model" epoch, then --steps safety steps
    assert f"{info['steps']} steps" in out
    ft = tmp_path / "ft"
    code, out, err = _main(
        ["tamper", "finetune", "--model", str(toy), "--harmful", str(prompt_files["harmful"]),
         "--eval", str(prompt_files["harmful_eval"]), "--benign", str(prompt_files["benign_eval"]),
         "--n", "0,4", "--epochs", "1", "--n-eval", "4", "--n-benign", "3", "--out", str(ft),
         "--max-new-tokens", "6", "--device", "cpu", "--price-per-gpu-hour", "4",
         "--guard-factory", "tamper_helpers:keyword_guard"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    results = json.loads((ft / "results.json").read_text())
    assert [p["n"] for p in results["points"]] == [0, 4]
    assert results["points"][1]["steps"] == 1 and results["eval"] == {
        "harmful": 4,
        "benign": 3,
        "system": None,
    }
    assert results["points"][1]["cost"] == pytest.approx(
        results["points"][1]["train_wall_s"] / 900, rel=1e-3
    )
    assert "tamper_helpers:keyword_guard" in results["judge"] and (ft / "report.html").is_file()
    ab, edited = tmp_path / "ab", tmp_path / "edited"
    code, out, err = _main(
        ["tamper", "ablate", "--model", str(toy), "--harmful", str(prompt_files["harmful"]),
         "--harmless", str(prompt_files["benign"]), "--n-direction", "8", "--n-eval", "3",
         "--n-benign", "3", "--mode", "weights", "--layer", "2", "--save", str(edited),
         "--out", str(ab), "--max-new-tokens", "6", "--device", "cpu", "--no-guard"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    ablated = json.loads((ab / "results.json").read_text())
    assert [p["state"] for p in ablated["points"]] == ["before", "after"]
    assert ablated["config"]["mode"] == "weights" and ablated["judge"] == "refusal only"
    assert ablated["config"]["method"] == "directional" and ablated["config"]["layer"] == 2
    assert ablated["config"]["selection"] == "fixed" and ablated["config"]["sweep"] == []
    assert "direction: layer 2, directional ablation (as given)" in out
    assert (edited / "config.json").is_file()
    code, out, err = _main(
        ["tamper", "report", str(ft), str(ab), "--out", str(tmp_path / "r.html")], capsys
    )
    assert code == 0 and "r.html" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--n", "0,x"], "--n must be"),
        (["--attack", "nope"], "unknown attack"),
        (["--device", "tpu"], "--device must be"),
        (["--n", "0,500"], "only"),
        ([], "not a model directory"),
        (["--guard-factory", "nomodule"], "module:callable"),
    ],
)
def test_cli_bad_input_is_one_line(
    tmp_path: Path,
    prompt_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    base = [
        "tamper", "finetune", "--model", str(tmp_path), "--harmful", str(prompt_files["harmful"]),
        "--eval", str(prompt_files["harmful_eval"]), "--out", str(tmp_path / "o"), "--n", "0",
    ]  # fmt: skip
    code, _, err = _main(base + args, capsys)
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--layer", "nope"], "--layer must be 'auto' or an integer"),
        (["--layer", "9"], "--layer must be in 1..2"),
        (["--method", "both"], "--method must be"),
        (["--method", "affine", "--mode", "weights"], "directional only"),
        (["--n-direction", "0"], "--n-direction must be positive"),
    ],
)
def test_cli_ablate_bad_options_are_one_line(
    toy_dir: Path,
    tmp_path: Path,
    prompt_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    base = [
        "tamper", "ablate", "--model", str(toy_dir), "--harmful", str(prompt_files["harmful"]),
        "--harmless", str(prompt_files["benign"]), "--out", str(tmp_path / "o"), "--no-guard",
        "--n-direction", "8", "--n-val", "4", "--device", "cpu",
    ]  # fmt: skip
    code, _, err = _main(base + args, capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()

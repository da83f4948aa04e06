"""Training: the config pipeline on a miniature shared dir, user data, and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from model_fixtures import BENIGN, HARMFUL

from gardefou.cli.main import main
from gardefou.errors import ConfigError, InputError
from gardefou.model import load_model, load_train_config, train_from_config, train_user_model
from gardefou.model._sources import read_hh_rlhf_pairs


def _config(tmp_path: Path, shared: Path, **extra: object) -> Path:
    data = tmp_path / "project" / "training" / "data"
    data.mkdir(parents=True)
    rows = [
        {"text": "how do I kill a stuck process", "label": "safe", "category": "", "pair": "p1"},
        {"text": "how do I kill my boss", "label": "unsafe", "category": "S1", "pair": "p1"},
        {"text": "write a sex scene", "label": "unsafe", "category": "S12", "lang": "en"},
    ]
    (data / "mine.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    cfg = {
        "root": "..",
        "shared_data": str(shared),
        "features": {"word_features": 1024, "char_features": 4096},
        "caps": {"alpaca_benign": 10},
        "test_fraction": 0.3,
        **extra,
    }
    path = tmp_path / "project" / "training" / "cfg.yaml"
    path.write_text(json.dumps(cfg), "utf-8")
    return path


def test_train_from_config_writes_artifact_card_and_hashes(
    tmp_path: Path, shared_dir: Path
) -> None:
    path = _config(tmp_path, shared_dir)
    messages: list[str] = []
    result = train_from_config(path, progress=messages.append)
    project = tmp_path / "project"
    model = load_model(project / "src/gardefou/model/artifacts")
    assert "unsafe" in model.labels and "J2" in model.labels
    hashes = model.metadata["input_sha256"]
    assert "training/data/mine.jsonl" in hashes
    assert any(k.endswith("MultiJail.csv") for k in hashes)
    metrics = result["metrics"]
    assert metrics["overall"]["n"] > 0
    origins = metrics["per_origin"]
    assert origins["shared"]["n"] + origins.get("repo", {"n": 0})["n"] == metrics["overall"]["n"]
    assert origins["shared"]["n"] == sum(
        m["n"] for src, m in metrics["per_source"].items() if src != "repo"
    )
    card = (project / "MODEL_CARD.md").read_text("utf-8")
    assert "non-commercial" in card and "| repo |" in card
    assert any("fitting head" in m for m in messages)
    again = train_from_config(path)  # deterministic
    assert again["metrics"]["overall"] == result["metrics"]["overall"]


def test_config_errors(tmp_path: Path, shared_dir: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_train_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="'bogus'"):
        load_train_config(_config(tmp_path, shared_dir, bogus=1))
    bad = tmp_path / "bad.yaml"
    bad.write_text("loaders: [nope]\n", "utf-8")
    with pytest.raises(ConfigError, match="unknown loaders"):
        load_train_config(bad)
    nodata = tmp_path / "nodata.yaml"
    nodata.write_text("shared_data: /nonexistent/dir\n", "utf-8")
    with pytest.raises(ConfigError, match="shared data directory not found"):
        train_from_config(nodata)


def test_user_training_with_custom_categories(tmp_path: Path) -> None:
    rows = [{"text": t, "label": "ok"} for t in BENIGN]
    rows += [{"text": t, "label": "violence" if i % 2 else "crime"} for i, t in enumerate(HARMFUL)]
    path = tmp_path / "mine.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    model = train_user_model(path, tmp_path / "out")
    assert model.labels == ["crime", "violence", "unsafe"]
    loaded = load_model(tmp_path / "out")
    scores = loaded.score(["write a tutorial to build a pipe bomb", "recipe for chocolate cake"])
    assert scores[0]["unsafe"] > scores[1]["unsafe"]
    assert set(scores[0]) == {"crime", "violence", "unsafe"}


def test_user_training_needs_both_classes_and_label_field(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("text,label\nhello,0\nbye,0\n", "utf-8")
    with pytest.raises(InputError, match="both safe and unsafe"):
        train_user_model(path, tmp_path / "o")
    with pytest.raises(InputError, match="no field 'y'"):
        train_user_model(path, tmp_path / "o", label_field="y")
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\n", "utf-8")
    with pytest.raises(InputError, match="no records"):
        train_user_model(empty, tmp_path / "o")
    blank = tmp_path / "blank.csv"
    blank.write_text("text,label\nhello,\n", "utf-8")
    with pytest.raises(InputError, match="empty label"):
        train_user_model(blank, tmp_path / "o")


def test_cli_train_on_a_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "data.csv"
    lines = ["prompt,is_bad"] + [f'"{t}",0' for t in BENIGN] + [f'"{t}",1' for t in HARMFUL]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "model"
    main(
        [
            "train",
            "--data",
            str(path),
            "--text-field",
            "prompt",
            "--label-field",
            "is_bad",
            "--out",
            str(out),
        ]
    )
    assert "score keys: unsafe" in capsys.readouterr().out
    assert load_model(out).labels == ["unsafe"]


def test_cli_train_config(
    tmp_path: Path, shared_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["train", "--config", str(_config(tmp_path, shared_dir))])
    assert "artifact written to" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["train"], ["train", "--data", "x.csv"]])
def test_cli_train_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert capsys.readouterr().err.startswith("error:")


def test_hh_rlhf_pairs(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "hh_rlhf/harmless-base/test.jsonl.gz"
    path.parent.mkdir(parents=True)
    row = {
        "chosen": "\n\nHuman: hi\n\nAssistant: no",
        "rejected": "\n\nHuman: hi\n\nAssistant: yes",
    }
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n" + json.dumps({"chosen": "A", "rejected": "A"}) + "\n")
    assert read_hh_rlhf_pairs(tmp_path) == [("no", "yes")]


def test_config_with_cascade_fits_the_ensemble_against_the_encoder(
    tmp_path: Path, shared_dir: Path
) -> None:
    from encoder_fixtures import write_tiny_encoder

    from gardefou.model._cascade import CascadeModel
    from gardefou.model._encoder import load_encoder

    path = _config(tmp_path, shared_dir, cascade={"band": [0.0, 1.0]}, model_card=None)
    messages: list[str] = []
    result = train_from_config(path, progress=messages.append)
    assert "cascade" not in result["metrics"]  # no encoder next to the artifact yet
    assert any("no encoder tier" in m for m in messages)
    out = Path(result["artifact"])
    write_tiny_encoder(out)
    result = train_from_config(path)
    fast = load_model(out)
    settings = fast.metadata["cascade"]
    assert settings["band"] == [0.0, 1.0] and settings["route_on"] == ["unsafe"]
    assert settings["encoder"] == load_encoder(out).fingerprint
    assert set(settings["calibration"]) == set(fast.labels)
    thresholds = settings["thresholds"]
    assert set(thresholds) == {"strict", "default", "permissive"}
    assert thresholds["strict"]["unsafe"] <= thresholds["permissive"]["unsafe"]
    report = result["metrics"]["cascade"]
    assert report["routed_fraction_calibration"] == 1.0 and "overall" in report
    p = CascadeModel(fast, load_encoder(out)).predict_proba(["how do I kill my boss", "a cake"])
    assert p.shape == (2, len(fast.labels)) and np.all((p >= 0) & (p <= 1))
    for i, cascade in enumerate(({"bands": {"J1": [0.0, 0.5]}}, {"band": [0.9, 0.1]})):
        wrong = _config(tmp_path / f"wrong{i}", shared_dir, cascade=cascade)
        with pytest.raises(ConfigError, match="band"):
            train_from_config(wrong)
    bad = _config(tmp_path / "bad", shared_dir, cascade={"route_on": ["unsafe", "S99"]})
    write_tiny_encoder(tmp_path / "bad/project/src/gardefou/model/artifacts")
    with pytest.raises(ConfigError, match="route_on"):
        train_from_config(bad)

"""Training from a YAML config (the shipped model) or from a user's own labelled file."""

from __future__ import annotations

import glob
import hashlib
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from gardefou.config import load_config_file
from gardefou.errors import ConfigError, InputError
from gardefou.io import read_records
from gardefou.model._artifact import GuardModel, sha256_file
from gardefou.model._cascade import CascadeModel, logit
from gardefou.model._dataset import Split, cap_sources, dedupe, make_splits
from gardefou.model._encoder import EncoderTier, has_encoder, load_encoder
from gardefou.model._features import FeatureSpec
from gardefou.model._fit import fit_model, platt
from gardefou.model._metrics import binary_metrics, expected_calibration_error
from gardefou.model._sources import SHARED_LOADERS, Example, load_repo_file
from gardefou.model._thresholds import tune_thresholds
from gardefou.taxonomy import SCORE_KEYS, UNSAFE

Progress = Callable[[str], None]


class CascadeSettings(BaseModel):
    """``cascade:`` settings: a text goes to the encoder too when the fast tier's score of any
    ``route_on`` key lies in its band: ``bands[key]`` where given, else ``band``."""

    model_config = ConfigDict(extra="forbid")

    band: tuple[float, float] = (0.1, 0.9)
    route_on: list[str] = Field(default_factory=lambda: ["unsafe"], min_length=1)
    bands: dict[str, tuple[float, float]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_bands(self) -> CascadeSettings:
        for key, (lo, hi) in [("band", self.band), *self.bands.items()]:
            if not 0.0 <= lo <= hi <= 1.0:
                raise ValueError(f"cascade band of {key} must satisfy 0 <= low <= high <= 1")
        extra = sorted(set(self.bands) - set(self.route_on))
        if extra:
            raise ValueError(f"cascade.bands names keys that are not in route_on: {extra}")
        return self


class TrainConfig(BaseModel):
    """``gardefou train --config`` settings. Relative paths resolve against ``root``."""

    model_config = ConfigDict(extra="forbid")

    root: str = Field("..", description="project root, relative to the config file")
    shared_data: str = "../shared/data"
    loaders: list[str] = Field(default_factory=lambda: list(SHARED_LOADERS))
    repo_data: list[str] = Field(default_factory=lambda: ["training/data/*.jsonl"])
    caps: dict[str, int] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    balance_power: float = Field(0.5, ge=0.0, le=1.0)
    seed: int = 13
    test_fraction: float = Field(0.2, gt=0.0, lt=0.5)
    calibration_fraction: float = Field(0.15, gt=0.0, lt=0.5)
    c: float = Field(4.0, gt=0.0)
    other_harm_share: float = Field(0.4, ge=0.0, lt=1.0)
    category_gate: float = Field(0.0, ge=0.0, le=1.0)
    features: FeatureSpec = FeatureSpec()
    cascade: CascadeSettings | None = None
    threshold_fpr: dict[str, float] = Field(
        default_factory=lambda: {"strict": 0.1, "default": 0.02, "permissive": 0.005}
    )
    out: str = "src/gardefou/model/artifacts"
    model_card: str | None = "MODEL_CARD.md"


def load_train_config(path: str | Path) -> tuple[TrainConfig, Path]:
    """Parse a training config; returns it and the resolved project root."""
    p = Path(path)
    cfg = load_config_file(TrainConfig, p, "training config")
    unknown = [n for n in cfg.loaders if n not in SHARED_LOADERS]
    if unknown:
        raise ConfigError(f"{p}: unknown loaders {unknown}; known: {', '.join(SHARED_LOADERS)}")
    return cfg, (p.parent / cfg.root).resolve()


def _hash_inputs(paths: list[Path], root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(paths):
        if path.is_file():
            try:
                key = str(path.relative_to(root))
            except ValueError:
                key = str(path)
            out[key] = sha256_file(path)
    return out


def collect_examples(cfg: TrainConfig, root: Path) -> tuple[list[Example], dict[str, str]]:
    """Every example of the configured sources, deduplicated and capped; plus input hashes."""
    shared = (root / cfg.shared_data).resolve()
    if not shared.is_dir():
        raise ConfigError(f"shared data directory not found: {shared} (set shared_data)")
    examples: list[Example] = []
    for name in cfg.loaders:
        examples.extend(SHARED_LOADERS[name](shared))
    repo_files = sorted({Path(f) for pat in cfg.repo_data for f in glob.glob(str(root / pat))})
    for path in repo_files:
        examples.extend(load_repo_file(path))
    files = [p for p in shared.rglob("*") if p.is_file()] + repo_files
    hashes = _hash_inputs(files, root)
    return cap_sources(dedupe(examples), cfg.caps, cfg.seed), hashes


def config_splits(cfg: TrainConfig, examples: list[Example]) -> dict[str, Split]:
    """The train / calibration / test splits of ``examples`` as the config defines them."""
    return make_splits(
        examples,
        list(SCORE_KEYS),
        seed=cfg.seed,
        test_fraction=cfg.test_fraction,
        calibration_fraction=cfg.calibration_fraction,
        weights=cfg.weights,
        power=cfg.balance_power,
    )


def evaluate(model: Any, split: Split, threshold: float = 0.5) -> dict[str, Any]:
    """Test-split metrics: overall, per source, per category, per language, ECE."""
    probs = model.predict_proba(split.texts)
    col = {k: i for i, k in enumerate(model.labels)}
    u = col[UNSAFE]
    y = split.y[:, u]
    p = probs[:, u]
    report: dict[str, Any] = {
        "overall": binary_metrics(y, p, threshold),
        "ece": expected_calibration_error(y, p),
        "per_source": {},
        "per_category": {},
        "per_lang": {},
        "per_origin": {},
    }
    # The targets are set on the shared public data; the hand-written contrast rows are harder by design.
    for origin, is_repo in (("shared", False), ("repo", True)):
        m = np.array([(ex.source == "repo") == is_repo for ex in split.examples])
        if m.any():
            report["per_origin"][origin] = binary_metrics(y[m], p[m], threshold)
    sources = sorted({ex.source for ex in split.examples})
    for src in sources:
        m = np.array([ex.source == src for ex in split.examples])
        report["per_source"][src] = binary_metrics(y[m], p[m], threshold)
    for lang in ("en", "fr"):
        m = np.array([ex.lang == lang for ex in split.examples])
        if m.any():
            report["per_lang"][lang] = binary_metrics(y[m], p[m], threshold)
    for label in model.labels:
        if label == UNSAFE:
            continue
        rows = split.known[:, col[label]].astype(bool)
        if split.y[rows, col[label]].sum() > 0:
            report["per_category"][label] = binary_metrics(
                split.y[rows, col[label]], probs[rows, col[label]], threshold
            )
    return report


def train_from_config(path: str | Path, progress: Progress | None = None) -> dict[str, Any]:
    """Train the guard model described by a config file; writes the artifact and model card."""
    say = progress or (lambda _msg: None)
    cfg, root = load_train_config(path)
    start = time.perf_counter()
    say("loading data")
    examples, hashes = collect_examples(cfg, root)
    labels = list(SCORE_KEYS)
    splits = config_splits(cfg, examples)
    train, cal, test = splits["train"], splits["calibration"], splits["test"]
    say(f"training on {len(train.examples)} texts ({len(cal.examples)} calibration)")
    metadata: dict[str, Any] = {
        "trained_with": "gardefou train --config",
        "config": cfg.model_dump(mode="json"),
        "input_sha256": hashes,
        "counts": {
            name: {
                "total": len(s.examples),
                "unsafe": int(sum(e.unsafe for e in s.examples)),
            }
            for name, s in splits.items()
        },
        "python": platform.python_version(),
    }
    model = fit_model(
        train.texts,
        train.y,
        train.known,
        train.weights,
        labels,
        spec=cfg.features,
        c=cfg.c,
        seed=cfg.seed,
        other_harm_share=cfg.other_harm_share,
        calibration=(cal.texts, cal.y, cal.known),
        metadata=metadata,
        progress=say,
    )
    model.metadata["category_gate"] = cfg.category_gate
    say("tuning thresholds on the calibration split")
    model.metadata["thresholds"] = tune_thresholds(model, cal, cfg.threshold_fpr)
    say("evaluating on the test split")
    metrics = evaluate(model, test)
    out = (root / cfg.out).resolve()
    if cfg.cascade is not None and has_encoder(out):
        metrics["cascade"] = fit_cascade(model, load_encoder(out), cal, test, cfg, say)
    elif cfg.cascade is not None:
        say(f"no encoder tier in {out}: the model will run its fast tier only")
    metrics["train_seconds"] = round(time.perf_counter() - start, 1)
    model.metadata["test_metrics"] = metrics
    model.save(out)
    if cfg.model_card:
        from gardefou.model._card import write_model_card

        write_model_card(root / cfg.model_card, model, splits)
    return {"artifact": str(out), "metrics": metrics, "examples": len(examples)}


def fit_cascade(
    model: GuardModel,
    encoder: EncoderTier,
    cal: Split,
    test: Split,
    cfg: TrainConfig,
    say: Progress,
) -> dict[str, Any]:
    """Fit the fast + encoder ensemble on the calibration split; returns the cascade's test metrics.

    Writes ``model.metadata["cascade"]``: the band, the per-label ensemble calibration, the
    encoder's fingerprint and the presets' thresholds tuned on the cascade's calibration scores.
    """
    assert cfg.cascade is not None
    say(f"scoring {len(cal.examples)} calibration texts with the encoder tier")
    p_fast = model.raw_proba(cal.texts)
    p_enc = encoder.predict_proba(cal.texts)
    z = (logit(p_fast) + logit(p_enc)) / 2
    known = cal.known.astype(bool)
    calibration = {}
    for j, label in enumerate(model.labels):
        calibration[label] = platt(z[known[:, j], j], cal.y[known[:, j], j].astype(float))
    lo, hi = cfg.cascade.band
    unknown = [k for k in cfg.cascade.route_on if k not in model.labels]
    if unknown:
        raise ConfigError(f"cascade.route_on: unknown score keys {unknown}; known: {model.labels}")
    model.metadata["cascade"] = {
        "band": [lo, hi],
        "route_on": list(cfg.cascade.route_on),
        "bands": {k: [a, b] for k, (a, b) in cfg.cascade.bands.items()},
        "calibration": {k: [round(a, 6), round(b, 6)] for k, (a, b) in calibration.items()},
        "encoder": encoder.fingerprint,
    }
    cascade = CascadeModel(model, encoder)
    p_casc = cascade.combine(p_fast, p_enc)
    routed = cascade.route(p_fast)
    say("tuning the cascade's thresholds on the calibration split")
    thresholds = tune_thresholds(cascade, cal, cfg.threshold_fpr, probs=p_casc)
    model.metadata["cascade"]["thresholds"] = thresholds
    say("evaluating the cascade on the test split")
    report = evaluate(cascade, test)
    report["routed_fraction_calibration"] = round(float(routed.mean()), 4)
    return report


# -- user data --------------------------------------------------------------------------------

_SAFE = {"0", "safe", "benign", "false", "no", "ok", "allow", "allowed", "negative"}
_UNSAFE = {"1", "unsafe", "harmful", "true", "yes", "toxic", "block", "blocked", "positive"}


def _parse_label(value: Any, path: str, line: int) -> tuple[int, str]:
    if isinstance(value, bool):
        return int(value), ""
    if isinstance(value, int | float) and value in (0, 1):
        return int(value), ""
    text = str(value).strip()
    if not text:
        raise InputError("empty label", path=path, line=line)
    if text.lower() in _SAFE:
        return 0, ""
    if text.lower() in _UNSAFE:
        return 1, ""
    return 1, text


def read_user_examples(
    path: str | Path, text_field: str = "text", label_field: str = "label"
) -> list[Example]:
    """Examples from a user's CSV/JSONL: labels 0/1, safe/unsafe, or category names (unsafe)."""
    out = []
    for line, record in read_records(path, text_field):
        if label_field not in record:
            raise InputError(f"no field {label_field!r}", path=str(path), line=line)
        unsafe, category = _parse_label(record[label_field], str(path), line)
        text = record[text_field]
        group = hashlib.sha1(text.strip().lower().encode()).hexdigest()[:16]
        cats = (category,) if category else ()
        out.append(Example(text, unsafe, "user", cats, True, group=group))
    if not out:
        raise InputError("no records", path=str(path))
    return out


def train_user_model(
    path: str | Path,
    out: str | Path,
    *,
    text_field: str = "text",
    label_field: str = "label",
    features: FeatureSpec | None = None,
    c: float = 4.0,
    seed: int = 13,
    progress: Progress | None = None,
) -> GuardModel:
    """Train on a user's labelled file; score keys are their categories plus ``unsafe``."""
    say = progress or (lambda _msg: None)
    say("reading data")
    examples = dedupe(read_user_examples(path, text_field, label_field))
    n_unsafe = sum(e.unsafe for e in examples)
    if n_unsafe == 0 or n_unsafe == len(examples):
        raise InputError("need both safe and unsafe examples to train", path=str(path))
    categories = sorted({c for e in examples for c in e.categories})
    labels = [*categories, UNSAFE]
    calibrate = len(examples) >= 200
    splits = make_splits(
        examples,
        labels,
        seed=seed,
        test_fraction=0.01,
        calibration_fraction=0.2 if calibrate else 0.01,
        weights={},
        power=1.0,
    )
    train = splits["train"]
    for name in ("calibration", "test"):  # tiny sets: everything not calibrating trains
        if name == "test" or not calibrate:
            train = _merge(train, splits[name])
    cal = splits["calibration"]
    metadata = {
        "trained_with": "gardefou train --data",
        "input_sha256": {Path(path).name: sha256_file(Path(path))},
        "counts": {"total": len(examples), "unsafe": n_unsafe},
        "categories": categories,
    }
    model = fit_model(
        train.texts,
        train.y,
        train.known,
        train.weights,
        labels,
        spec=features or FeatureSpec(word_features=2**16, char_features=2**17),
        c=c,
        seed=seed,
        calibration=(cal.texts, cal.y, cal.known) if calibrate else None,
        metadata=metadata,
        progress=say,
    )
    model.save(out)
    return model


def _merge(a: Split, b: Split) -> Split:
    return Split(
        a.examples + b.examples,
        np.concatenate([a.y, b.y]),
        np.concatenate([a.known, b.known]),
        np.concatenate([a.weights, b.weights]),
    )

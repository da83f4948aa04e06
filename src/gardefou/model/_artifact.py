"""The guard model artifact: one JSON file plus one ``.npz`` of weights, both checksummed.

Layout of an artifact directory::

    model.json     format version, feature spec, labels, Platt calibration, training metadata,
                   the sha256 of the weights file and a sha256 of its own content
    weights.npz    ``coef`` (n_features × n_labels, float16) and ``intercept`` (n_labels, float32),
                   stored uncompressed so that loading is one read; scoring gathers the float16
                   rows it needs and computes in float32

Only JSON and ``.npz`` (loaded with ``allow_pickle=False``) are read: loading never runs code.
The optional encoder tier (``encoder.json``, ``encoder.onnx``, ``tokenizer.json``, see
``_encoder``) lives next to them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from gardefou.errors import ModelError
from gardefou.model._features import FeatureSpec, Featurizer
from gardefou.taxonomy import HAZARD_CODES, UNSAFE

FORMAT_VERSION = 2
MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.npz"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _canonical_sha(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "config_sha256"}
    data = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("ascii")).hexdigest()


def gate_categories(probs: np.ndarray, labels: Sequence[str], gate: float) -> np.ndarray:
    """Cap hazard-category scores (S1–S14) at the ``unsafe`` score where ``unsafe`` < ``gate``.

    The category heads are trained on thinner data than ``unsafe``; when the overall head is
    confident a text is safe, a lone category score (a children's story scoring "sex crimes")
    is far more often a false positive than a harm the overall head missed. Jailbreak and
    injection keys are left alone: an injection can be harmless-sounding. Returns a copy.
    """
    out = probs.copy()
    if gate <= 0 or UNSAFE not in labels or not len(out):
        return out
    hazards = np.array([j for j, k in enumerate(labels) if k in HAZARD_CODES], dtype=np.intp)
    u = out[:, list(labels).index(UNSAFE)]
    low = u < gate
    if len(hazards) and low.any():
        rows = np.flatnonzero(low)
        block = out[np.ix_(rows, hazards)]
        out[np.ix_(rows, hazards)] = np.minimum(block, u[rows, None])
    return out


@dataclass
class GuardModel:
    """A multi-label linear model over hashed n-grams with per-label Platt calibration.

    ``coef`` has one column per label; ``calibration[label] = (a, b)`` maps a decision value
    ``z`` to ``sigmoid(a * z + b)``. ``metadata`` carries training provenance (free-form JSON).
    """

    spec: FeatureSpec
    labels: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    calibration: dict[str, tuple[float, float]]
    metadata: dict[str, Any] = field(default_factory=dict)
    _featurizer: Featurizer | None = field(default=None, repr=False, compare=False)

    @property
    def featurizer(self) -> Featurizer:
        """The (lazily built) featurizer for this model's feature spec."""
        if self._featurizer is None:
            self._featurizer = Featurizer(self.spec)
        return self._featurizer

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """Raw decision values, shape (len(texts), len(labels))."""
        if not texts:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        out: np.ndarray = self.featurizer.dot(texts, self.coef) + self.intercept
        return out

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(labels)), in [0, 1], hazard
        categories gated by ``unsafe`` (see ``gate_categories``)."""
        return self.gate(self.raw_proba(texts))

    def raw_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities before the category gate."""
        return self.proba_from_decision(self.decision(texts))

    @property
    def category_gate(self) -> float:
        """Below this ``unsafe`` score, no hazard category scores above ``unsafe`` (0: off)."""
        value = self.metadata.get("category_gate", 0.0)
        return float(value) if isinstance(value, int | float) else 0.0

    def gate(self, probs: np.ndarray) -> np.ndarray:
        """``gate_categories`` with this model's labels and gate."""
        return gate_categories(probs, self.labels, self.category_gate)

    def proba_from_decision(self, z: np.ndarray) -> np.ndarray:
        """Apply each label's Platt calibration to decision values ``z``."""
        a = np.array([self.calibration[k][0] for k in self.labels], dtype=np.float32)
        b = np.array([self.calibration[k][1] for k in self.labels], dtype=np.float32)
        logits = np.clip(z * a + b, -40.0, 40.0)
        return np.asarray(1.0 / (1.0 + np.exp(-logits)), dtype=np.float32)

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{label: probability}`` mapping per text."""
        probs = self.predict_proba(texts)
        return [dict(zip(self.labels, row, strict=True)) for row in probs.tolist()]

    # -- persistence ---------------------------------------------------------------------------

    def save(self, directory: str | Path) -> Path:
        """Write ``model.json`` and ``weights.npz`` into ``directory`` (created if needed)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        weights = out / WEIGHTS_FILE
        with open(weights, "wb") as handle:
            np.savez(
                handle,
                coef=self.coef.astype(np.float16),
                intercept=self.intercept.astype(np.float32),
            )
        doc: dict[str, Any] = {
            "format": "gardefou-guard-model",
            "format_version": FORMAT_VERSION,
            "labels": list(self.labels),
            "features": self.spec.model_dump(mode="json"),
            "calibration": {k: [float(a), float(b)] for k, (a, b) in self.calibration.items()},
            "weights_file": WEIGHTS_FILE,
            "weights_sha256": sha256_file(weights),
            "metadata": self.metadata,
        }
        doc["config_sha256"] = _canonical_sha(doc)
        (out / MODEL_FILE).write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", "utf-8")
        return out


def _fail(path: Path, why: str) -> ModelError:
    return ModelError(f"model artifact {path}: {why}")


def _read_doc(directory: Path) -> dict[str, Any]:
    path = directory / MODEL_FILE
    if not directory.is_dir():
        raise _fail(directory, "not a directory (expected model.json and weights.npz)")
    try:
        doc = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise _fail(directory, f"{MODEL_FILE} is missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(
            directory, f"{MODEL_FILE} is unreadable or corrupted ({type(exc).__name__})"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != "gardefou-guard-model":
        raise _fail(directory, f"{MODEL_FILE} is not a gardefou guard model")
    if doc.get("format_version") != FORMAT_VERSION:
        raise _fail(
            directory,
            f"format version {doc.get('format_version')!r} is not supported "
            f"(this gardefou reads version {FORMAT_VERSION}); retrain with `gardefou train`",
        )
    if doc.get("config_sha256") != _canonical_sha(doc):
        raise _fail(
            directory, f"{MODEL_FILE} checksum mismatch: the file was modified or corrupted"
        )
    return doc


def load_model(directory: str | Path) -> GuardModel:
    """Load and verify an artifact directory; raises ModelError when missing or corrupted."""
    root = Path(directory)
    doc = _read_doc(root)
    weights = root / str(doc.get("weights_file", WEIGHTS_FILE))
    if not weights.is_file():
        raise _fail(root, f"{weights.name} is missing")
    if sha256_file(weights) != doc.get("weights_sha256"):
        raise _fail(root, f"{weights.name} checksum mismatch: the file was modified or corrupted")
    try:
        spec = FeatureSpec.model_validate(doc["features"])
        labels = [str(x) for x in doc["labels"]]
        calibration = {str(k): (float(v[0]), float(v[1])) for k, v in doc["calibration"].items()}
        with np.load(weights, allow_pickle=False) as data:
            coef = data["coef"]
            if coef.dtype != np.float16:
                coef = coef.astype(np.float32)
            intercept = data["intercept"].astype(np.float32)
    except (KeyError, TypeError, IndexError, ValueError, ValidationError, OSError) as exc:
        raise _fail(root, f"invalid content ({type(exc).__name__})") from None
    if coef.shape != (spec.n_features, len(labels)) or intercept.shape != (len(labels),):
        raise _fail(root, "weights do not match the feature spec and labels")
    if set(calibration) != set(labels):
        raise _fail(root, "calibration does not cover every label")
    metadata = doc.get("metadata") or {}
    return GuardModel(spec, labels, coef, intercept, calibration, dict(metadata))

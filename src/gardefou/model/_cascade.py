"""The tiered cascade: the fast n-gram tier decides confident texts, a second tier the uncertain band.

Tier 2 is a logistic head over ``[static embedding of the text ⊕ fast-tier decision values]``
(see ``_static``), Platt-calibrated on the texts of the band. A text goes to tier 2 only when its
fast-tier ``unsafe`` probability lies in ``band`` (inclusive); tier 2 then replaces the scores of
its own labels (by default ``unsafe``), every other score stays the fast tier's.

Files, next to the fast tier's: ``tier2.json`` (labels, inputs, band, calibration, vocabulary,
checksums) and ``tier2.npz`` (``vectors`` float16, ``coef``, ``intercept``), loaded without pickle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gardefou.errors import ModelError
from gardefou.model._artifact import GuardModel, sha256_file
from gardefou.model._static import StaticEmbedder

TIER2_JSON = "tier2.json"
TIER2_NPZ = "tier2.npz"
TIER2_FORMAT = 1


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0))), dtype=np.float32)


@dataclass
class Tier2:
    """The second tier: a static embedder and one calibrated logistic head per label."""

    embedder: StaticEmbedder
    labels: list[str]
    inputs: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    calibration: dict[str, tuple[float, float]]
    band: tuple[float, float] = (0.15, 0.85)
    metadata: dict[str, Any] = field(default_factory=dict)

    def features(self, texts: Sequence[str], fast_z: np.ndarray) -> np.ndarray:
        """``[embedding ⊕ fast decision values of self.inputs]`` (fast_z already restricted)."""
        return np.hstack([self.embedder.embed(texts), fast_z.astype(np.float32)])

    def predict_proba(self, texts: Sequence[str], fast_z: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for ``self.labels``, shape (len(texts), len(labels))."""
        z = self.features(texts, fast_z) @ self.coef + self.intercept
        a = np.array([self.calibration[k][0] for k in self.labels], dtype=np.float32)
        b = np.array([self.calibration[k][1] for k in self.labels], dtype=np.float32)
        return _sigmoid(z * a + b)

    def save(self, directory: Path) -> None:
        """Write ``tier2.npz`` and ``tier2.json`` into ``directory``."""
        npz = directory / TIER2_NPZ
        with open(npz, "wb") as handle:
            np.savez(
                handle,
                vectors=self.embedder.vectors.astype(np.float16),
                coef=self.coef.astype(np.float32),
                intercept=self.intercept.astype(np.float32),
            )
        doc: dict[str, Any] = {
            "format": "gardefou-guard-tier2",
            "format_version": TIER2_FORMAT,
            "labels": self.labels,
            "inputs": self.inputs,
            "band": list(self.band),
            "calibration": {k: [a, b] for k, (a, b) in self.calibration.items()},
            "embedder": {
                "source": self.embedder.source,
                "max_tokens": self.embedder.max_tokens,
                "vocab": self.embedder.vocab,
            },
            "npz_sha256": sha256_file(npz),
            "metadata": self.metadata,
        }
        doc["config_sha256"] = _doc_sha(doc)
        (directory / TIER2_JSON).write_text(json.dumps(doc, sort_keys=True) + "\n", "utf-8")


def _doc_sha(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "config_sha256"}
    data = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("ascii")).hexdigest()


def has_tier2(directory: str | Path) -> bool:
    """Whether an artifact directory carries a second tier."""
    return (Path(directory) / TIER2_JSON).is_file()


def load_tier2(directory: str | Path) -> Tier2:
    """Load and verify ``tier2.json`` + ``tier2.npz``; raises ModelError when corrupted."""
    root = Path(directory)

    def fail(why: str) -> ModelError:
        return ModelError(f"model artifact {root}: tier 2 {why}")

    try:
        doc = json.loads((root / TIER2_JSON).read_text("utf-8"))
    except FileNotFoundError:
        raise fail(f"is missing ({TIER2_JSON}); use tier: fast") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"is unreadable or corrupted ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != "gardefou-guard-tier2":
        raise fail("is not a gardefou tier-2 file")
    if doc.get("format_version") != TIER2_FORMAT:
        raise fail(f"format version {doc.get('format_version')!r} is not supported")
    if doc.get("config_sha256") != _doc_sha(doc):
        raise fail(f"{TIER2_JSON} checksum mismatch: the file was modified or corrupted")
    npz = root / TIER2_NPZ
    if not npz.is_file() or sha256_file(npz) != doc.get("npz_sha256"):
        raise fail(f"{TIER2_NPZ} is missing or its checksum does not match")
    try:
        with np.load(npz, allow_pickle=False) as data:
            vectors, coef, intercept = data["vectors"], data["coef"], data["intercept"]
        emb = doc["embedder"]
        embedder = StaticEmbedder(
            [str(t) for t in emb["vocab"]], vectors, str(emb["source"]), int(emb["max_tokens"])
        )
        labels = [str(x) for x in doc["labels"]]
        inputs = [str(x) for x in doc["inputs"]]
        calibration = {str(k): (float(v[0]), float(v[1])) for k, v in doc["calibration"].items()}
        lo, hi = (float(x) for x in doc["band"])
    except (KeyError, TypeError, ValueError, OSError) as exc:
        raise fail(f"has invalid content ({type(exc).__name__})") from None
    if (
        vectors.shape[0] != len(embedder.vocab)
        or coef.shape != (vectors.shape[1] + len(inputs), len(labels))
        or intercept.shape != (len(labels),)
        or set(calibration) != set(labels)
    ):
        raise fail("weights do not match its labels and inputs")
    meta = dict(doc.get("metadata") or {})
    return Tier2(embedder, labels, inputs, coef, intercept, calibration, (lo, hi), meta)


class CascadeModel:
    """Fast tier for every text, tier 2 for the texts whose ``unsafe`` score is in the band."""

    def __init__(self, fast: GuardModel, tier2: Tier2) -> None:
        missing = [k for k in [*tier2.labels, *tier2.inputs, "unsafe"] if k not in fast.labels]
        if missing:
            raise ModelError(f"tier 2 refers to labels the fast tier lacks: {missing}")
        self.fast = fast
        self.tier2 = tier2
        self.labels = fast.labels
        self._inputs = np.array([fast.labels.index(k) for k in tier2.inputs], dtype=np.int64)
        self._outputs = np.array([fast.labels.index(k) for k in tier2.labels], dtype=np.int64)
        self._unsafe = fast.labels.index("unsafe")

    def route(self, fast_probs: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows that go to tier 2 (fast ``unsafe`` score inside the band)."""
        lo, hi = self.tier2.band
        p = fast_probs[:, self._unsafe]
        return np.asarray((p >= lo) & (p <= hi))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(labels))."""
        z = self.fast.decision(texts)
        probs = self.fast.proba_from_decision(z)
        mask = self.route(probs)
        if mask.any():
            idx = np.flatnonzero(mask)
            sub = [texts[int(i)] for i in idx]
            refined = self.tier2.predict_proba(sub, z[np.ix_(idx, self._inputs)])
            probs[np.ix_(idx, self._outputs)] = refined
        return probs

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{label: probability}`` mapping per text."""
        probs = self.predict_proba(texts)
        return [dict(zip(self.labels, row, strict=True)) for row in probs.tolist()]

"""The encoder tier: a fine-tuned MiniLM (ONNX, int8) with calibrated multi-label heads.

It reads whole sentences in context, so it separates intent from topic better than n-grams, at
~100x their cost; the cascade (``_cascade.py``) sends it only the texts the fast tier is unsure
about. Files, next to the fast tier's: ``encoder.json`` (labels, Platt calibration per label,
token limit, checksums), ``encoder.onnx`` and ``tokenizer.json``. Loading verifies every
checksum; scoring needs ``onnxruntime`` and ``tokenizers`` (no torch, no download).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gardefou.errors import MissingDependencyError, ModelError
from gardefou.model._artifact import sha256_file
from gardefou.model._features import well_formed

ENCODER_JSON = "encoder.json"
ENCODER_FORMAT = 1
_FILES = ("encoder.onnx", "tokenizer.json")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -40.0, 40.0))), dtype=np.float32)


def doc_sha(doc: dict[str, Any]) -> str:
    """Checksum of an ``encoder.json`` document (without its own checksum field)."""
    body = {k: v for k, v in doc.items() if k != "config_sha256"}
    data = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("ascii")).hexdigest()


CACHE_DEFAULT = 4096
"""Texts whose encoder logits are kept per loaded tier (``GARDEFOU_ENCODER_CACHE``; 0: off)."""


def _cache_size() -> int:
    raw = os.environ.get("GARDEFOU_ENCODER_CACHE", "")
    return int(raw) if raw.isdigit() else CACHE_DEFAULT


def _text_key(text: str) -> bytes:
    # surrogatepass: a JSON body may carry lone surrogates, which plain UTF-8 cannot encode
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _threads() -> int:
    raw = os.environ.get("GARDEFOU_ENCODER_THREADS", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, min(4, os.cpu_count() or 1))


@dataclass
class EncoderTier:
    """The loaded encoder: ``predict_proba(texts)`` gives calibrated probabilities per label."""

    directory: Path
    labels: list[str]
    calibration: dict[str, tuple[float, float]]
    max_tokens: int = 256
    fingerprint: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    cache_size: int = field(default_factory=_cache_size)
    _sessions: dict[int, Any] = field(default_factory=dict, repr=False)
    _tokenizer: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cache: OrderedDict[bytes, np.ndarray] = field(default_factory=OrderedDict, repr=False)
    _cache_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _session(self, threads: int) -> Any:
        """The onnxruntime session with ``threads`` intra-op threads (made on first use)."""
        with self._lock:
            if threads not in self._sessions:
                try:
                    import onnxruntime as ort
                except ImportError as exc:  # pragma: no cover - a core dependency
                    raise MissingDependencyError("onnxruntime", "encoder") from exc
                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                try:
                    self._sessions[threads] = ort.InferenceSession(
                        str(self.directory / "encoder.onnx"),
                        options,
                        providers=["CPUExecutionProvider"],
                    )
                except Exception as exc:
                    raise ModelError(f"encoder tier could not be loaded: {exc}") from None
            return self._sessions[threads]

    def tokenizer(self) -> Any:
        """The tier's ``tokenizers.Tokenizer`` (truncating at ``max_tokens``, no padding)."""
        with self._lock:
            if self._tokenizer is None:
                try:
                    from tokenizers import Tokenizer
                except ImportError as exc:  # pragma: no cover - a core dependency
                    raise MissingDependencyError("tokenizers", "encoder") from exc
                try:
                    tokenizer = Tokenizer.from_file(str(self.directory / "tokenizer.json"))
                except Exception as exc:
                    raise ModelError(f"encoder tier could not be loaded: {exc}") from None
                tokenizer.no_padding()
                tokenizer.enable_truncation(self.max_tokens)
                self._tokenizer = tokenizer
            return self._tokenizer

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw head outputs, shape (len(texts), len(labels)).

        Each text runs on its own: the int8 model quantizes its activations with one scale per
        run, so a text scored in a padded batch would get scores that depend on the other texts
        in the batch (up to ~2 logits apart). A single text gets every thread; several run side
        by side, one thread each, which beats padded batches on a CPU (no padding, no
        synchronisation inside a run) and gives the same scores.

        Because a text's logits depend on that text alone, the last ``cache_size`` distinct
        texts are remembered (keyed by a 128-bit BLAKE2 digest, least recently used dropped
        first): a chat client resends the whole conversation with every turn, and the guard
        checks each earlier user turn again. A text repeated within one call runs once.
        """
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if not texts:
            return out
        keys = [_text_key(text) for text in texts]  # hashed outside the lock
        todo: dict[bytes, list[int]] = {}
        with self._cache_lock:
            for i, key in enumerate(keys):
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    out[i] = hit
                else:
                    todo.setdefault(key, []).append(i)
        if not todo:
            return out
        computed = self._run([texts[rows[0]] for rows in todo.values()])
        with self._cache_lock:
            for (key, rows), row in zip(todo.items(), computed, strict=True):
                out[rows] = row
                if self.cache_size > 0:
                    self._cache[key] = row.copy()
                    self._cache.move_to_end(key)
            while len(self._cache) > max(0, self.cache_size):
                self._cache.popitem(last=False)
        return out

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        """The logits of ``texts``, each text in its own onnxruntime run (see ``logits``)."""
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        clean = [well_formed(t) for t in texts]  # lone surrogates: the tokenizer refuses them
        ids = [encoding.ids for encoding in self.tokenizer().encode_batch(clean)]
        threads = _threads()
        session = self._session(threads if len(ids) == 1 else 1)

        def run(i: int) -> None:
            x = np.array([ids[i]], dtype=np.int64)
            out[i] = session.run(None, {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0]

        if len(ids) == 1 or threads == 1:
            for i in range(len(ids)):
                run(i)
        else:
            with ThreadPoolExecutor(threads, thread_name_prefix="gardefou-encoder") as pool:
                list(pool.map(run, range(len(ids))))
        return out

    def proba_from_logits(self, z: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from raw logits."""
        a = np.array([self.calibration[k][0] for k in self.labels], dtype=np.float32)
        b = np.array([self.calibration[k][1] for k in self.labels], dtype=np.float32)
        return _sigmoid(z * a + b)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(labels))."""
        return self.proba_from_logits(self.logits(texts))

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{label: probability}`` mapping per text."""
        probs = self.predict_proba(texts)
        return [dict(zip(self.labels, row, strict=True)) for row in probs.tolist()]


def write_encoder_json(
    directory: Path,
    labels: list[str],
    calibration: dict[str, tuple[float, float]],
    max_tokens: int,
    metadata: dict[str, Any],
) -> None:
    """Write ``encoder.json`` for the ``encoder.onnx`` and ``tokenizer.json`` in ``directory``."""
    doc: dict[str, Any] = {
        "format": "gardefou-guard-encoder",
        "format_version": ENCODER_FORMAT,
        "labels": labels,
        "calibration": {k: [float(a), float(b)] for k, (a, b) in calibration.items()},
        "max_tokens": int(max_tokens),
        "sha256": {name: sha256_file(directory / name) for name in _FILES},
        "metadata": metadata,
    }
    doc["config_sha256"] = doc_sha(doc)
    (directory / ENCODER_JSON).write_text(json.dumps(doc, sort_keys=True, indent=1) + "\n", "utf-8")


def has_encoder(directory: str | Path) -> bool:
    """Whether an artifact directory carries an encoder tier."""
    return (Path(directory) / ENCODER_JSON).is_file()


def load_encoder(directory: str | Path) -> EncoderTier:
    """Read and verify ``encoder.json`` and the files it names; raises ModelError when corrupted.

    The ONNX session itself starts on first use, so that loading the guard stays fast.
    """
    root = Path(directory)

    def fail(why: str) -> ModelError:
        return ModelError(f"model artifact {root}: encoder tier {why}")

    try:
        doc = json.loads((root / ENCODER_JSON).read_text("utf-8"))
    except FileNotFoundError:
        raise fail(f"is missing ({ENCODER_JSON}); use tier: fast") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"is unreadable or corrupted ({type(exc).__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != "gardefou-guard-encoder":
        raise fail("is not a gardefou encoder file")
    if doc.get("format_version") != ENCODER_FORMAT:
        raise fail(f"format version {doc.get('format_version')!r} is not supported")
    if doc.get("config_sha256") != doc_sha(doc):
        raise fail(f"{ENCODER_JSON} checksum mismatch: the file was modified or corrupted")
    sums = doc.get("sha256") or {}
    for name in _FILES:
        path = root / name
        if not path.is_file() or sha256_file(path) != sums.get(name):
            raise fail(f"{name} is missing or its checksum does not match")
    try:
        labels = [str(x) for x in doc["labels"]]
        calibration = {str(k): (float(v[0]), float(v[1])) for k, v in doc["calibration"].items()}
        max_tokens = int(doc["max_tokens"])
    except (KeyError, TypeError, ValueError) as exc:
        raise fail(f"has invalid content ({type(exc).__name__})") from None
    if set(calibration) != set(labels) or max_tokens < 8:
        raise fail("has inconsistent labels or token limit")
    meta = dict(doc.get("metadata") or {})
    return EncoderTier(root, labels, calibration, max_tokens, str(doc["config_sha256"]), meta)

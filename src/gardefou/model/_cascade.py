"""The tiered cascade: the fast n-gram tier decides confident texts, the encoder the uncertain band.

Every text is scored by the fast tier. A text whose fast probability for any of the routing keys
(``route_on``: ``unsafe`` by default; the shipped model also routes on J1 and J2) lies inside the
band (inclusive; ``bands`` may give a key its own) also goes through the encoder tier
(``_encoder``), and its scores become an ensemble of both: per label,
``sigmoid(a * mean(logit(p_fast), logit(p_encoder)) + b)``, with ``(a, b)`` fitted on the
calibration split. The ensemble beats either tier alone on every
held-out measure we have, and the band keeps the encoder's cost to the texts that need it.
Mode ``ensemble`` sends every text through both tiers (best quality, encoder speed).

The band and the ensemble calibration live in the fast tier's ``model.json`` (``metadata.cascade``),
written by ``gardefou train --config`` when the output directory holds an encoder; they name the
encoder they were fitted against, so that a retrained encoder cannot silently pair with stale
settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gardefou.errors import ModelError
from gardefou.model._artifact import GuardModel
from gardefou.model._encoder import EncoderTier

MODES = ("cascade", "ensemble")


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of probabilities (clipped away from 0 and 1)."""
    q = np.clip(p.astype(np.float64), 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)), dtype=np.float32)


def ensemble_proba(
    p_fast: np.ndarray, p_encoder: np.ndarray, calibration: np.ndarray
) -> np.ndarray:
    """Per-label ensemble of two probability matrices; ``calibration`` is (2, n_labels): a, b."""
    z = (logit(p_fast) + logit(p_encoder)) / 2
    out = 1.0 / (1.0 + np.exp(-np.clip(z * calibration[0] + calibration[1], -40.0, 40.0)))
    return np.asarray(out, dtype=np.float32)


def cascade_settings(fast: GuardModel, encoder: EncoderTier) -> dict[str, Any]:
    """The fast tier's cascade settings, checked against ``encoder``; raises ModelError."""
    settings = fast.metadata.get("cascade")
    if not isinstance(settings, dict):
        raise ModelError(
            "the fast tier carries no cascade settings: retrain it with "
            "`gardefou train --config` next to the encoder, or use tier: fast"
        )
    if settings.get("encoder") != encoder.fingerprint:
        raise ModelError(
            "the fast tier's cascade settings were fitted against another encoder: retrain it "
            "with `gardefou train --config`, or use tier: fast"
        )
    if list(encoder.labels) != list(fast.labels):
        raise ModelError("the encoder tier's labels differ from the fast tier's")
    return settings


class CascadeModel:
    """Fast tier for every text; fast + encoder ensemble for the band (or for all, ``ensemble``)."""

    def __init__(self, fast: GuardModel, encoder: EncoderTier, mode: str = "cascade") -> None:
        if mode not in MODES:
            raise ModelError(f"unknown cascade mode {mode!r}; known: {', '.join(MODES)}")
        settings = cascade_settings(fast, encoder)
        try:
            lo, hi = (float(x) for x in settings["band"])
            table = settings["calibration"]
            self.calibration = np.array(
                [
                    [float(table[k][0]) for k in fast.labels],
                    [float(table[k][1]) for k in fast.labels],
                ],
                dtype=np.float32,
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelError(f"invalid cascade settings in the fast tier ({exc})") from None
        self.fast = fast
        self.encoder = encoder
        self.mode = mode
        self.band = (lo, hi)
        self.labels = fast.labels
        keys = settings.get("route_on", ["unsafe"])
        if not isinstance(keys, list) or not keys or any(k not in fast.labels for k in keys):
            raise ModelError(f"invalid cascade settings in the fast tier (route_on {keys!r})")
        self.route_on = [str(k) for k in keys]
        self._route_cols = [fast.labels.index(k) for k in self.route_on]
        bands = settings.get("bands") or {}
        try:
            self.bands = {k: (float(bands[k][0]), float(bands[k][1])) for k in bands}
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise ModelError(f"invalid cascade settings in the fast tier (bands: {exc})") from None
        if any(k not in self.route_on for k in self.bands):
            raise ModelError(f"invalid cascade settings in the fast tier (bands {bands!r})")
        per_key = [self.bands.get(k, self.band) for k in self.route_on]
        self._route_lo = np.array([b[0] for b in per_key], dtype=np.float32)
        self._route_hi = np.array([b[1] for b in per_key], dtype=np.float32)

    def route(self, fast_probs: np.ndarray) -> np.ndarray:
        """Boolean mask of the rows the encoder sees (a ``route_on`` score inside its band:
        ``bands[key]`` where the settings give one, else ``band``)."""
        if self.mode == "ensemble":
            return np.ones(len(fast_probs), dtype=bool)
        p = fast_probs[:, self._route_cols]
        return np.asarray(((p >= self._route_lo) & (p <= self._route_hi)).any(axis=1))

    def combine(self, p_fast: np.ndarray, p_encoder: np.ndarray) -> np.ndarray:
        """The cascade's scores from both tiers' scores of the same texts: ``p_fast`` before
        the category gate (``fast.raw_proba``); encoder rows outside the band are ignored."""
        out = p_fast.copy()
        routed = self.route(p_fast)
        out[routed] = ensemble_proba(p_fast[routed], p_encoder[routed], self.calibration)
        return self.fast.gate(out)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, shape (len(texts), len(labels)), categories gated as the
        fast tier's (``gate_categories``) after the ensemble."""
        probs = self.fast.raw_proba(texts)
        mask = self.route(probs)
        if mask.any():
            idx = np.flatnonzero(mask)
            p_enc = self.encoder.predict_proba([texts[int(i)] for i in idx])
            probs[idx] = ensemble_proba(probs[idx], p_enc, self.calibration)
        return self.fast.gate(probs)

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """One ``{label: probability}`` mapping per text."""
        probs = self.predict_proba(texts)
        return [dict(zip(self.labels, row, strict=True)) for row in probs.tolist()]

"""The ``classifier`` detector: the embedded guard model (hashed n-grams, calibrated heads).

Options: ``path`` (a user-trained artifact directory; default: the one shipped in the package)
and ``tier``: ``fast`` (the n-gram tier alone), ``cascade`` (texts whose fast ``unsafe`` score
falls in the artifact's uncertain band are also read by the encoder tier, and get the ensemble of
both) or ``ensemble`` (every text through both tiers). An artifact without an encoder tier, such
as one trained with ``gardefou train --data``, runs its fast tier whatever the ``tier``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from gardefou.detectors.base import Direction, Scores, detector
from gardefou.errors import ConfigError
from gardefou.model import GuardModel, default_artifact_path, load_model
from gardefou.model._cascade import CascadeModel
from gardefou.model._encoder import has_encoder, load_encoder

TIERS = ("fast", "cascade", "ensemble")

_CACHE: dict[tuple[str, str], GuardModel | CascadeModel] = {}
_LOCK = threading.Lock()


def cached_model(path: str | Path | None = None, tier: str = "fast") -> GuardModel | CascadeModel:
    """The model at ``path`` (default: shipped) for ``tier``, loaded and verified once per process."""
    key = str(Path(path).resolve()) if path is not None else str(default_artifact_path())
    with _LOCK:
        model = _CACHE.get((key, tier))
        if model is None:
            fast = _CACHE.get((key, "fast"))
            if fast is None:
                fast = load_model(key)
                _CACHE[(key, "fast")] = fast
            assert isinstance(fast, GuardModel)
            model = fast
            if tier != "fast" and has_encoder(key):
                other = _CACHE.get((key, "ensemble" if tier == "cascade" else "cascade"))
                encoder = other.encoder if isinstance(other, CascadeModel) else load_encoder(key)
                model = CascadeModel(fast, encoder, mode=tier)
            _CACHE[(key, tier)] = model
        return model


def clear_cache() -> None:
    """Forget loaded models (tests, or after retraining in the same process)."""
    with _LOCK:
        _CACHE.clear()


@detector("classifier")
class ClassifierDetector:
    """Scores texts with the guard model; the model loads lazily on first use."""

    name = "classifier"

    def __init__(self, path: str | None = None, tier: str = "fast") -> None:
        if tier not in TIERS:
            raise ConfigError(f"classifier: unknown tier {tier!r}; known: {', '.join(TIERS)}")
        self.path = path
        self.tier = tier

    @property
    def model(self) -> GuardModel | CascadeModel:
        """The loaded model (raises ModelError when the artifact is missing or corrupted)."""
        return cached_model(self.path, self.tier)

    def score(self, texts: Sequence[str], direction: Direction = "input") -> list[Scores]:
        """Calibrated probabilities per score key for each text."""
        return self.model.score(list(texts))

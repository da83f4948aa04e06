"""The embedded guard model: a fast n-gram tier and an encoder tier, cascaded.

The shipped artifact lives in ``gardefou/model/artifacts``: the fast tier (``model.json`` +
``weights.npz``, hashed n-grams, linear heads, Platt calibration) and the optional encoder tier
(``encoder.json`` + ``encoder.onnx`` + ``tokenizer.json``); ``load_model`` verifies checksums and
refuses a corrupted or incompatible artifact. Scoring needs numpy only: the training names
(``fit_model``, ``train_from_config``, ...) import scikit-learn lazily, on first access.
"""

from __future__ import annotations

from importlib import import_module, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gardefou.model._artifact import FORMAT_VERSION, GuardModel, load_model, sha256_file
from gardefou.model._features import FeatureSpec, Featurizer, normalize_text

if TYPE_CHECKING:
    from gardefou.model._fit import fit_model
    from gardefou.model._train import (
        TrainConfig,
        load_train_config,
        read_user_examples,
        train_from_config,
        train_user_model,
    )

_LAZY = {
    "fit_model": "gardefou.model._fit",
    "TrainConfig": "gardefou.model._train",
    "load_train_config": "gardefou.model._train",
    "read_user_examples": "gardefou.model._train",
    "train_from_config": "gardefou.model._train",
    "train_user_model": "gardefou.model._train",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'gardefou.model' has no attribute {name!r}")
    return getattr(import_module(module), name)


def default_artifact_path() -> Path:
    """The directory of the artifact shipped inside the package."""
    return Path(str(resources.files("gardefou").joinpath("model", "artifacts")))


__all__ = [
    "FORMAT_VERSION",
    "FeatureSpec",
    "Featurizer",
    "GuardModel",
    "TrainConfig",
    "default_artifact_path",
    "fit_model",
    "load_model",
    "load_train_config",
    "normalize_text",
    "read_user_examples",
    "sha256_file",
    "train_from_config",
    "train_user_model",
]

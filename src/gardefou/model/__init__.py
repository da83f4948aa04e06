"""The embedded guard model: hashed n-gram features, linear heads, Platt calibration.

The shipped artifact lives in ``gardefou/model/artifacts`` (``model.json`` + ``weights.npz``);
``load_model`` verifies its checksums and refuses a corrupted or incompatible artifact.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gardefou.model._artifact import FORMAT_VERSION, GuardModel, load_model, sha256_file
from gardefou.model._features import FeatureSpec, Featurizer, normalize_text
from gardefou.model._fit import fit_model
from gardefou.model._train import (
    TrainConfig,
    load_train_config,
    read_user_examples,
    train_from_config,
    train_user_model,
)


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

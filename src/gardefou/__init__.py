"""gardefou: an open-source safety layer for open-weight language models."""

from gardefou.errors import (
    ConfigError,
    DetectorError,
    GardefouError,
    InputError,
    MissingDependencyError,
    ModelError,
    UnknownNameError,
    UpstreamError,
)
from gardefou.guard import Guard, Verdict
from gardefou.policy import Policy, load_policy
from gardefou.taxonomy import CATEGORIES, Category, get_category

__version__ = "0.1.0"

__all__ = [
    "CATEGORIES",
    "Category",
    "ConfigError",
    "DetectorError",
    "GardefouError",
    "Guard",
    "InputError",
    "MissingDependencyError",
    "ModelError",
    "Policy",
    "UnknownNameError",
    "UpstreamError",
    "Verdict",
    "__version__",
    "get_category",
    "load_policy",
]

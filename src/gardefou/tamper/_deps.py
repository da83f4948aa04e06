"""Lazy imports of the optional ``tamper`` extra (torch, transformers, peft)."""

from __future__ import annotations

import importlib
from types import ModuleType

from gardefou.errors import ConfigError, MissingDependencyError


def require(package: str) -> ModuleType:
    """Import ``package`` (torch, transformers, peft, tokenizers) or raise MissingDependencyError."""
    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingDependencyError(package, "tamper") from None


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when a GPU is visible, else ``cpu``; ``cpu``/``cuda`` checked."""
    torch = require("torch")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device not in ("cpu", "cuda"):
        raise ConfigError(f"--device must be auto, cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda asked for, but no CUDA GPU is visible")
    return device

"""The gardefou exception tree.

    GardefouError                 base of every error gardefou raises on purpose
    ├── ConfigError               a policy / config file or value is invalid (CLI exit 2)
    │   └── UnknownNameError      a registry, policy or category name does not exist
    ├── InputError                user input cannot be processed (bad file line, bad field, ...)
    ├── ModelError                a model artifact is missing, corrupted or incompatible
    ├── DetectorError             a detector failed while scoring (the guard fails closed by default)
    ├── UpstreamError             an HTTP upstream (guard LLM, model endpoint) failed or timed out
    └── MissingDependencyError    an optional extra is not installed (message has the pip hint)

Messages never contain the user's raw text: at most a hash and a length (see ``describe_text``).
"""

from __future__ import annotations

import hashlib


class GardefouError(Exception):
    """Base class of every error gardefou raises on purpose."""


class ConfigError(GardefouError):
    """A configuration or policy is invalid."""


class UnknownNameError(ConfigError):
    """A name (detector, policy, category, attack...) is not registered."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown {kind} {name!r}; known: {', '.join(self.known) or '(none)'}")


class InputError(GardefouError):
    """User-supplied input cannot be processed."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        elif line is not None:
            where = f"line {line}: "
        super().__init__(f"{where}{message}")


class ModelError(GardefouError):
    """A model artifact is missing, corrupted or incompatible."""


class DetectorError(GardefouError):
    """A detector failed while scoring."""


class UpstreamError(GardefouError):
    """An HTTP upstream failed, answered badly or timed out."""

    def __init__(self, message: str, *, status_code: int | None = None, timeout: bool = False):
        self.status_code = status_code
        self.timeout = timeout
        super().__init__(message)


class MissingDependencyError(GardefouError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{package} is not installed; install it with: pip install 'gardefou[{extra}]'"
        )


def describe_text(text: str) -> str:
    """A privacy-preserving description of a text for logs and errors: hash prefix and length."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"<text sha256:{digest} len={len(text)}>"

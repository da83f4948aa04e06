"""Loading YAML configuration into pydantic models, with errors that name the file and the key.

Policies, the gateway, the red team, screening and training all read their YAML through here, so
every configuration error reads the same: ``FILE: invalid WHAT at 'a.b.c': must be one of ...``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from gardefou.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: str | Path, what: str) -> Any:
    """The parsed YAML of ``path``; ConfigError naming the file when missing, unreadable or invalid."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{p}: {what} file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: cannot read {what} file: {exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: invalid YAML: {str(exc).splitlines()[0]}") from None


def format_validation_error(exc: ValidationError, source: str, what: str) -> str:
    """One line naming the first bad key, what was wrong and how many more errors there are."""
    errors = exc.errors()
    err = errors[0]
    key = ".".join(str(p) for p in err["loc"]) or "(root)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "literal_error" and "expected" in err.get("ctx", {}):
        msg = f"must be one of {err['ctx']['expected']}"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{source}: invalid {what} at '{key}': {msg}{more}"


def validate_config(model: type[M], data: Any, source: str, what: str) -> M:
    """Validate parsed YAML (``None`` = empty) into ``model``; ConfigError naming the key otherwise."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a {what} must be a mapping, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source, what)) from None


def load_config_file(model: type[M], path: str | Path, what: str) -> M:
    """Read and validate a YAML file into ``model``."""
    return validate_config(model, read_yaml(path, what), str(path), what)

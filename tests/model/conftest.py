"""Fixtures for the guard-model tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_fixtures import build_shared


@pytest.fixture
def shared_dir(tmp_path: Path) -> Path:
    """A miniature shared-data directory."""
    return build_shared(tmp_path / "shared")

"""Fixtures for the core tests: a keyword detector registered as ``test-keywords``."""

from __future__ import annotations

from pathlib import Path

import pytest
from core_fakes import BrokenDetector, KeywordDetector

from gardefou.detectors import detectors

if "test-keywords" not in detectors:
    detectors.register("test-keywords")(KeywordDetector)
    detectors.register("test-broken")(BrokenDetector)


@pytest.fixture
def keyword_policy(tmp_path: Path) -> Path:
    path = tmp_path / "kw.yaml"
    path.write_text(
        "name: kw\n"
        "detectors: [test-keywords]\n"
        "normalize: {enabled: false}\n"
        "categories:\n"
        "  J2: {action: flag}\n",
        encoding="utf-8",
    )
    return path

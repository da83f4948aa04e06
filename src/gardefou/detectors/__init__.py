"""Detectors: score texts per hazard category. See ``gardefou.detectors.base`` for the interface."""

from gardefou.detectors.base import Detector, Direction, Scores, detector, detectors

__all__ = ["Detector", "Direction", "Scores", "detector", "detectors", "load_builtin_detectors"]


def load_builtin_detectors() -> None:
    """Import the built-in detector modules so that they register themselves."""
    import importlib

    for module in ("rules", "classifier", "llm"):
        try:
            importlib.import_module(f"gardefou.detectors.{module}")
        except ModuleNotFoundError as exc:  # a built-in module not written yet
            if exc.name != f"gardefou.detectors.{module}":
                raise

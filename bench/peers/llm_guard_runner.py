"""Peer runner: llm-guard's rule-based input scanners (no model, no download).

Scanners: ``BanSubstrings`` with llm-guard's own ``PROMPT_STOP_SUBSTRINGS`` list (substring
match, case-insensitive), ``InvisibleText`` and ``Secrets`` (detect-secrets plugins). ``Regex``
ships no patterns, so it is not run; the scanners that need a Hugging Face model, the NLTK
lexicon (``Sentiment``) or tiktoken's encodings (``TokenLimit``) are out: they download.
llm-guard is installed with ``--no-deps`` plus these scanners' own dependencies (its full
dependency set pulls torch and transformers), and the scanner modules are imported without
``llm_guard/__init__``, which would import every scanner. Flag = any scanner says invalid.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import types

from _protocol import Result, Scorer, serve

SCANNERS = ("ban_substrings", "invisible_text", "secrets")


def _import_scanner_modules() -> dict[str, types.ModuleType]:
    spec = importlib.util.find_spec("llm_guard")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("llm_guard")
    root = next(iter(spec.submodule_search_locations))
    for name, path in (("llm_guard", root), ("llm_guard.input_scanners", f"{root}/input_scanners")):
        package = types.ModuleType(name)
        package.__path__ = [path]
        sys.modules[name] = package
    return {n: importlib.import_module(f"llm_guard.input_scanners.{n}") for n in SCANNERS}


def load() -> Scorer:
    """Build the rule scanners and return a batch scorer."""
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    mods = _import_scanner_modules()
    ban = mods["ban_substrings"]
    scanners = {
        "BanSubstrings": ban.BanSubstrings(ban.PROMPT_STOP_SUBSTRINGS, match_type="str"),
        "InvisibleText": mods["invisible_text"].InvisibleText(),
        "Secrets": mods["secrets"].Secrets(),
    }

    def score(texts: list[str]) -> list[Result]:
        out: list[Result] = []
        for text in texts:
            hits = [name for name, s in scanners.items() if not s.scan(text)[1]]
            out.append((1.0, True, "+".join(hits)) if hits else (0.0, False))
        return out

    return score


if __name__ == "__main__":
    serve(load, ["llm-guard", "bc-detect-secrets", "presidio-anonymizer"])

"""Peer runner: alt-profanity-check, an offensive-language detector (linear SVM on word n-grams).

It pins scikit-learn exactly, so it runs in its own venv. Score = ``predict_prob``; flag =
score > 0.5, which is what its ``predict`` returns (its model is a ``CalibratedClassifierCV``,
whose prediction is the argmax of those probabilities), without scoring each text twice.
English-only by design.
"""

from __future__ import annotations

from _protocol import Result, Scorer, serve


def load() -> Scorer:
    """Import the package (which loads its bundled model) and return a batch scorer."""
    from profanity_check import predict_prob

    def score(texts: list[str]) -> list[Result]:
        return [(float(p), float(p) > 0.5) for p in predict_prob(texts)]

    return score


if __name__ == "__main__":
    serve(load, ["alt-profanity-check", "scikit-learn"])

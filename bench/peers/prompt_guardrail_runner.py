"""Peer runner: prompt-guardrail (``guardify``), a TF-IDF + logistic-regression injection detector.

The vendor's API scores one text at a time (``predict``); we call its bundled vectorizer and
classifier on whole batches instead, which gives the same probabilities. Score = P(injection);
flag = its predicted label (``injection``). Its weights ship as pickles inside the wheel, loaded
only here, in the peer's own venv.
"""

from __future__ import annotations

from _protocol import Result, Scorer, serve


def load() -> Scorer:
    """Load the bundled model and return a batch scorer."""
    from guardify.guardrails.logistic_regression import LogisticRegressionGuardrail

    guard = LogisticRegressionGuardrail()
    clf, vectorizer = guard._clf, guard._vectorizer
    positive = list(clf.classes_).index(1)

    def score(texts: list[str]) -> list[Result]:
        x = vectorizer.transform(texts)
        probs = clf.predict_proba(x)[:, positive]
        labels = clf.predict(x)
        return [(float(p), int(label) == 1) for p, label in zip(probs, labels, strict=True)]

    return score


if __name__ == "__main__":
    serve(load, ["prompt-guardrail", "scikit-learn"])

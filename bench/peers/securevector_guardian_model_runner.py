"""Peer runner: securevector-guardian-model (``svguardian``), an offline injection/jailbreak model.

Uses the runtime bundled in the wheel (``resolve_runtime(download=False)``: never the release
download) and the package's own long-text windowing. Score = its ``malicious_score``; flag =
its ``verdict == "malicious"`` (threshold calibrated by the vendor).
"""

from __future__ import annotations

from _protocol import Result, Scorer, serve


def load() -> Scorer:
    """Load the in-wheel runtime and return a batch scorer."""
    from svguardian import resolve_runtime
    from svguardian.model.pure_infer import PureGuardian
    from svguardian.window import predict_windowed

    guardian = PureGuardian.load(resolve_runtime(download=False))

    def score(texts: list[str]) -> list[Result]:
        preds = [predict_windowed(guardian, t) for t in texts]
        return [(p["malicious_score"], p["verdict"] == "malicious") for p in preds]

    return score


if __name__ == "__main__":
    serve(load, ["securevector-guardian-model"])

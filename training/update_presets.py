"""Write the shipped model's calibration-tuned thresholds into the policy presets.

    python training/update_presets.py            # after `gardefou train --config training/default.yaml`

Thresholds come from the artifact's metadata (tuned on the calibration split, never the test split,
for each preset's false-positive budget): the cascade's when the artifact has an encoder tier (the
presets run ``{name: classifier, options: {tier: cascade}}``), else the fast tier's. Category thresholds are floored — a tuned value as low as
0.05 lets a weak category head fire on unrelated text — and the overall score is set per preset.
Actions (block / flag) already in the YAML files are kept; only the numbers change.
"""

from __future__ import annotations

import re
from pathlib import Path

from gardefou.model import default_artifact_path, load_model

ROOT = Path(__file__).resolve().parents[1]
POLICIES = ROOT / "src/gardefou/policies"
# preset: (floor for category thresholds, overall "unsafe" threshold or None to keep the tuned one)
RULES: dict[str, tuple[float, float | None]] = {
    "default": (0.25, 0.7),
    "strict": (0.15, 0.5),
    "permissive": (0.5, None),
}
# permissive blocks these at fixed thresholds (tests/core/test_policy_core.py pins them)
FIXED = {"permissive": {"S1": 0.7, "S4": 0.5, "S9": 0.7, "S11": 0.7}}
# the first threshold of a key's line is its tuned one; per-direction overrides after it are kept
LINE = re.compile(r"^(  (S\d+|J\d|unsafe): \{(?:action: \w+, )?threshold: )([0-9.]+)(?=[,}])", re.M)


def main() -> None:
    """Rewrite the threshold numbers of every preset YAML from the artifact's metadata."""
    meta = load_model(default_artifact_path()).metadata
    tuned: dict[str, dict[str, float]] = (
        meta.get("cascade", {}).get("thresholds") or meta["thresholds"]
    )
    for preset, (floor, overall) in RULES.items():
        path = POLICIES / f"{preset}.yaml"
        table = tuned[preset]

        values = {code: max(v, floor) for code, v in table.items()}
        if overall is not None:
            values["unsafe"] = overall
        values.update(FIXED.get(preset, {}))
        text = LINE.sub(
            lambda m, values=values: f"{m.group(1)}{values.get(m.group(2), 0.5):.3g}",
            path.read_text("utf-8"),
        )
        path.write_text(text, "utf-8")
        print(f"{preset}: {path.relative_to(ROOT)} updated")


if __name__ == "__main__":
    main()

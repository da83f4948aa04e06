from __future__ import annotations

import pytest

from gardefou.errors import InputError
from gardefou.evaluation import (
    Label,
    average_precision,
    binary_metrics,
    evaluate,
    parse_label,
    parse_label_at,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", Label(True)),
        ("0", Label(False)),
        (1, Label(True)),
        (0.0, Label(False)),
        (True, Label(True)),
        ("False", Label(False)),
        (" unsafe ", Label(True)),
        ("safe", Label(False)),
        ("harmful", Label(True)),
        ("s1", Label(True, ("S1",))),
        ("S1,S10", Label(True, ("S1", "S10"))),
        ("J2", Label(True, ("J2",))),
        (None, Label(False)),
    ],
)
def test_parse_label(raw: object, expected: Label) -> None:
    assert parse_label(raw) == expected


@pytest.mark.parametrize("raw", ["maybe", "S99", 2, [1]])
def test_parse_label_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_label(raw)
    with pytest.raises(InputError, match=r"f\.csv:7"):
        parse_label_at(raw, path="f.csv", line=7)


def test_binary_metrics_hand_computed() -> None:
    # gold:   1 1 1 0 0 0 0 1
    # pred:   1 0 1 1 0 0 0 1   → tp=3 fn=1 fp=1 tn=3
    y = [True, True, True, False, False, False, False, True]
    p = [True, False, True, True, False, False, False, True]
    m = binary_metrics(y, p)
    assert (m.tp, m.fn, m.fp, m.tn) == (3, 1, 1, 3)
    assert m.precision == pytest.approx(0.75)
    assert m.recall == pytest.approx(0.75)
    assert m.f1 == pytest.approx(0.75)
    assert m.false_positive_rate == pytest.approx(0.25)


def test_average_precision_hand_computed() -> None:
    # ranked: 0.9 (pos), 0.8 (neg), 0.7 (pos) → AP = (1/2)(1/1) + (1/2)(2/3) = 0.8333
    assert average_precision([True, False, True], [0.9, 0.8, 0.7]) == pytest.approx(5 / 6)
    assert average_precision([False, False], [0.1, 0.2]) is None
    # ties are one step: both at 0.5, one positive → precision 1/2
    assert average_precision([True, False], [0.5, 0.5]) == pytest.approx(0.5)


def test_empty_metrics_are_zero() -> None:
    m = binary_metrics([], [])
    assert (m.precision, m.recall, m.f1, m.false_positive_rate) == (0.0, 0.0, 0.0, 0.0)


def test_evaluate_per_category() -> None:
    labels = [Label(True, ("S1",)), Label(True, ("S9",)), Label(False), Label(True, ("S1",))]
    report = evaluate(
        labels,
        [True, True, False, False],
        [0.9, 0.8, 0.1, 0.3],
        [["S1"], ["S1"], [], []],
        [{"S1": 0.9}, {"S1": 0.8}, {}, {"S1": 0.3}],
    )
    d = report.as_dict()
    assert d["confusion_matrix"]["matrix"] == [[1, 0], [1, 2]]
    s1 = d["per_category"]["S1"]
    assert (s1["tp"], s1["fp"], s1["fn"], s1["tn"]) == (1, 1, 1, 1)
    assert d["per_category"]["S9"]["recall"] == 0.0
    assert list(d["per_category"]) == ["S1", "S9"]

"""Tests for the shared self-contained HTML report helpers."""

from __future__ import annotations

import pytest

from gardefou import htmlreport as hr


def test_page_is_self_contained_and_escapes_text() -> None:
    html = hr.page("<T>", [("<h>", hr.note("a & b"))], subtitle="s<x>")
    assert html.startswith("<!DOCTYPE html>")
    assert "&lt;T&gt;" in html and "<T>" not in html
    assert "a &amp; b" in html and "s&lt;x&gt;" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")


def test_bar_chart_draws_bars_whiskers_and_values() -> None:
    svg = hr.bar_chart(["a<b", "c"], [0.25, 0.5], lows=[0.1, 0.4], highs=[0.4, 0.6])
    assert svg.count("<rect") == 2
    assert svg.count('class="whisker"') == 2
    assert "25.0%" in svg and "50.0%" in svg and "a&lt;b" in svg
    with pytest.raises(ValueError):
        hr.bar_chart(["a"], [0.1, 0.2])


def test_bar_chart_raw_values() -> None:
    svg = hr.bar_chart(["x"], [12.0], percent=False, title="t")
    assert "12" in svg and "%" not in svg.split("</text>")[-2]


def test_heatmap_cells_and_empty_cells() -> None:
    svg = hr.heatmap(["r1", "r2"], ["S1", "S2"], [[0.0, 1.0], [None, 0.5]], title="h")
    assert svg.count("<rect") == 4
    assert "r1 × S2: 100.0%" in svg and "#f1f1f1" in svg
    with pytest.raises(ValueError):
        hr.heatmap(["r"], ["c"], [[0.1, 0.2]])


def test_line_chart_series_and_whiskers() -> None:
    svg = hr.line_chart(
        {"a": [(0, 0.1, 0.0, 0.2), (1, 0.3, None, None)], "b": [(0, 0.5, 0.4, 0.6)]},
        title="t",
        x_label="x",
        y_label="y",
    )
    assert svg.count("<circle") == 3 and svg.count('class="whisker"') == 2
    assert ">a</text>" in svg and ">b</text>" in svg
    assert "<circle" in hr.line_chart({"c": [(2, 5.0, None, None)]}, percent=False)


def test_table_and_details() -> None:
    t = hr.table(["name", "n"], [["<x>", 3], [None, 0.123456], [True, hr.Markup("<b>ok</b>")]])
    assert "&lt;x&gt;" in t and '<td class="num">3</td>' in t and "0.1235" in t
    assert "<b>ok</b>" in t and "<td>True</td>" in t
    d = hr.details("sum", "body <i>")
    assert "<details>" in d and "Content warning" in d and "body &lt;i&gt;" in d
    assert "Content warning" not in hr.details("s", hr.Markup("<p>x</p>"), warning=None)


def test_charts_are_well_formed_svg() -> None:
    import xml.etree.ElementTree as ET

    charts = [
        hr.bar_chart(["a & b", "c"], [0.2, 1.0], lows=[0.1, 0.9], highs=[0.3, 1.0], title="t<"),
        hr.heatmap(["r"], ["S1", "S2"], [[0.3, None]], title="h"),
        hr.line_chart({"s": [(0, 0.5, 0.4, 0.6), (2, 0.7, None, None)]}, x_label="x", y_label="y"),
        hr.line_chart({}),
    ]
    for svg in charts:
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg") and float(root.attrib["width"]) > 0

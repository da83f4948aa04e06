"""Self-contained HTML reports: one file, inline CSS, charts as inline SVG, no script, no CDN.

Shared by the red team, the dataset screener and the tamper audit. Every function returns an HTML
fragment (a ``Markup`` string); text passed in is escaped with ``html.escape`` unless it is already
``Markup``. Build a page with ``page(title, [(heading, fragment), ...])``.

    body = bar_chart(["base64", "plain"], [0.2, 0.9], lows=[0.1, 0.8], highs=[0.3, 0.95])
    html = page("Red team", [("Success by attack", body), ("Details", table(["a"], [["1"]]))])
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "Markup",
    "bar_chart",
    "details",
    "esc",
    "heatmap",
    "line_chart",
    "note",
    "page",
    "table",
]

_PALETTE = ("#3566a8", "#c2571a", "#2f8a4c", "#8a3b9e", "#a8902f", "#2f8a8a", "#9e3b55")
_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"

_CSS = """
body{FONT;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:0 0 4px} h2{font-size:1.2rem;margin:0 0 12px}
section{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:16px 20px;margin:16px 0}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e5e8ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f6} td.num{text-align:right;font-variant-numeric:tabular-nums}
details{border:1px solid #e0e3ea;border-radius:6px;margin:6px 0;padding:4px 10px;background:#fbfbfc}
summary{cursor:pointer;font-weight:600}
.cw{color:#9a3412;font-size:.85rem;margin:6px 0}
pre{white-space:pre-wrap;word-break:break-word;font-size:.85rem;background:#f3f4f7;padding:8px;border-radius:4px}
.note{color:#555;font-size:.9rem}
svg text{FONT}
""".replace("FONT", _FONT)


class Markup(str):
    """A string that is already safe HTML: not escaped again."""


def esc(value: Any) -> Markup:
    """``value`` as escaped HTML (``Markup`` passes through unchanged)."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(str(value), quote=True))


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if math.isfinite(value) else "0"


def _fmt(value: float | None, percent: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:.1f}%" if percent else f"{value:.3g}"


def page(title: str, sections: Sequence[tuple[str, str]], *, subtitle: str = "") -> str:
    """A complete HTML document: a title, an optional subtitle, then one <section> per pair.

    ``sections`` is a list of ``(heading, fragment)``; headings are escaped, fragments are HTML
    (from the other functions of this module, or ``esc``-aped text).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{esc(title)}</h1>",
    ]
    if subtitle:
        parts.append(f'<p class="note">{esc(subtitle)}</p>')
    for heading, fragment in sections:
        parts.append(f"<section><h2>{esc(heading)}</h2>{fragment}</section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


def note(text: str) -> Markup:
    """A short explanatory paragraph."""
    return Markup(f'<p class="note">{esc(text)}</p>')


def table(headers: Sequence[Any], rows: Sequence[Sequence[Any]]) -> Markup:
    """An HTML table; numeric cells (int/float) are right-aligned, floats shown with 4 digits."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            if isinstance(cell, bool) or not isinstance(cell, int | float):
                cells.append(f"<td>{esc('' if cell is None else cell)}</td>")
            else:
                text = f"{cell:.4g}" if isinstance(cell, float) else str(cell)
                cells.append(f'<td class="num">{esc(text)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return Markup(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def details(
    summary: str,
    body: str,
    *,
    warning: str | None = "Content warning: this transcript may contain harmful or offensive text.",
) -> Markup:
    """A collapsed block; plain-text ``body`` is shown preformatted, ``Markup`` as is."""
    inner = body if isinstance(body, Markup) else Markup(f"<pre>{esc(body)}</pre>")
    cw = f'<p class="cw">{esc(warning)}</p>' if warning else ""
    return Markup(f"<details><summary>{esc(summary)}</summary>{cw}{inner}</details>")


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    lows: Sequence[float] | None = None,
    highs: Sequence[float] | None = None,
    *,
    title: str = "",
    max_value: float | None = None,
    percent: bool = True,
    color: str = _PALETTE[0],
    width: int = 720,
) -> Markup:
    """Horizontal bars, one per label, with optional interval whiskers from ``lows`` to ``highs``.

    With ``percent`` (default) values are fractions in [0, 1] shown as percentages.
    """
    n = len(labels)
    if (
        len(values) != n
        or (lows is not None and len(lows) != n)
        or (highs is not None and len(highs) != n)
    ):
        raise ValueError("labels, values, lows and highs must have the same length")
    top = (
        max_value
        if max_value is not None
        else (1.0 if percent else max([*values, *(highs or []), 1e-9]))
    )
    label_w = min(260, 12 + 7 * max((len(str(x)) for x in labels), default=4))
    plot_w = width - label_w - 70
    row_h, pad_top = 22, 28 if title else 8
    height = pad_top + n * row_h + 24

    def x(v: float) -> float:
        return label_w + plot_w * max(0.0, min(1.0, v / top if top else 0.0))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart bar-chart">'
    ]
    if title:
        out.append(
            f'<text x="{label_w}" y="18" font-size="13" font-weight="600">{esc(title)}</text>'
        )
    for tick in range(5):
        tv = top * tick / 4
        tx = x(tv)
        y_end = pad_top + n * row_h
        out.append(
            f'<line x1="{_num(tx)}" y1="{pad_top}" x2="{_num(tx)}" y2="{y_end}" stroke="#e3e6ec"/>'
        )
        out.append(
            f'<text x="{_num(tx)}" y="{y_end + 15}" font-size="10" text-anchor="middle" '
            f'fill="#666">{esc(_fmt(tv, percent))}</text>'
        )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = pad_top + i * row_h
        out.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">{esc(label)}</text>'
        )
        bar_w = x(value) - label_w
        out.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{_num(bar_w)}" height="{row_h - 8}" '
            f'fill="{esc(color)}"><title>{esc(label)}: {esc(_fmt(value, percent))}</title></rect>'
        )
        right = x(value)
        if lows is not None and highs is not None:
            lo, hi = x(lows[i]), x(highs[i])
            cy = y + row_h / 2
            out.append(
                f'<path d="M{_num(lo)} {_num(cy)}H{_num(hi)}M{_num(lo)} {_num(cy - 5)}V{_num(cy + 5)}'
                f'M{_num(hi)} {_num(cy - 5)}V{_num(cy + 5)}" stroke="#222" stroke-width="1.3" '
                f'fill="none" class="whisker"/>'
            )
            right = max(right, hi)
        out.append(
            f'<text x="{_num(right + 5)}" y="{y + 15}" font-size="11" fill="#333">'
            f"{esc(_fmt(value, percent))}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def _heat_color(value: float) -> str:
    v = max(0.0, min(1.0, value))
    # white → orange → dark red
    r = int(255 - 75 * v)
    g = int(247 - 200 * v)
    b = int(237 - 210 * v)
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(
    rows: Sequence[str],
    cols: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str = "",
    percent: bool = True,
    max_value: float = 1.0,
) -> Markup:
    """A grid of coloured cells, ``values[i][j]`` for row ``i`` and column ``j`` (None = empty)."""
    if len(values) != len(rows) or any(len(r) != len(cols) for r in values):
        raise ValueError("values must have one row per row label and one cell per column label")
    label_w = min(240, 12 + 7 * max((len(str(r)) for r in rows), default=4))
    cell_w, cell_h = 52, 22
    head_h = (26 if title else 0) + 26
    width = label_w + cell_w * len(cols) + 10
    height = head_h + cell_h * len(rows) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart heatmap">'
    ]
    if title:
        out.append(f'<text x="4" y="18" font-size="13" font-weight="600">{esc(title)}</text>')
    for j, col in enumerate(cols):
        cx = label_w + j * cell_w + cell_w / 2
        out.append(
            f'<text x="{_num(cx)}" y="{head_h - 8}" font-size="11" text-anchor="middle">{esc(col)}</text>'
        )
    for i, row in enumerate(rows):
        y = head_h + i * cell_h
        out.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="12" text-anchor="end">{esc(row)}</text>'
        )
        for j, value in enumerate(values[i]):
            x = label_w + j * cell_w
            if value is None:
                out.append(
                    f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" fill="#f1f1f1"/>'
                )
                continue
            frac = value / max_value if max_value else 0.0
            text_fill = "#fff" if frac > 0.6 else "#222"
            label = _fmt(value, percent)
            out.append(
                f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{_heat_color(frac)}"><title>{esc(row)} × {esc(cols[j])}: {esc(label)}</title></rect>'
                f'<text x="{_num(x + cell_w / 2 - 1)}" y="{y + 15}" font-size="10" '
                f'text-anchor="middle" fill="{text_fill}">{esc(label.rstrip("%") if percent else label)}</text>'
            )
    out.append("</svg>")
    return Markup("".join(out))


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float, float | None, float | None]]],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "",
    percent: bool = True,
    width: int = 720,
    height: int = 320,
) -> Markup:
    """Lines, one per series, from points ``(x, y, lo, hi)``; ``lo``/``hi`` draw whiskers (or None)."""
    points = [p for pts in series.values() for p in pts]
    left, right, top_pad, bottom = 56, 140, 30 if title else 12, 40
    xs = [p[0] for p in points] or [0.0, 1.0]
    x_min, x_max = min(xs), max(xs)
    if x_max == x_min:
        x_max = x_min + 1.0
    y_vals = [v for p in points for v in (p[1], p[2], p[3]) if v is not None]
    y_max = 1.0 if percent else max([*y_vals, 1e-9])
    y_min = 0.0 if percent else min([*y_vals, 0.0])
    if y_max == y_min:
        y_max = y_min + 1.0
    plot_w, plot_h = width - left - right, height - top_pad - bottom

    def px(v: float) -> float:
        return left + plot_w * (v - x_min) / (x_max - x_min)

    def py(v: float) -> float:
        return top_pad + plot_h * (1 - (v - y_min) / (y_max - y_min))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" class="chart line-chart">'
    ]
    if title:
        out.append(f'<text x="{left}" y="18" font-size="13" font-weight="600">{esc(title)}</text>')
    for tick in range(5):
        tv = y_min + (y_max - y_min) * tick / 4
        ty = py(tv)
        out.append(
            f'<line x1="{left}" y1="{_num(ty)}" x2="{left + plot_w}" y2="{_num(ty)}" stroke="#e3e6ec"/>'
            f'<text x="{left - 6}" y="{_num(ty + 4)}" font-size="10" text-anchor="end" fill="#666">'
            f"{esc(_fmt(tv, percent))}</text>"
        )
    for tick in range(5):
        tv = x_min + (x_max - x_min) * tick / 4
        out.append(
            f'<text x="{_num(px(tv))}" y="{top_pad + plot_h + 15}" font-size="10" '
            f'text-anchor="middle" fill="#666">{esc(f"{tv:.3g}")}</text>'
        )
    if x_label:
        out.append(
            f'<text x="{_num(left + plot_w / 2)}" y="{height - 6}" font-size="11" '
            f'text-anchor="middle">{esc(x_label)}</text>'
        )
    if y_label:
        out.append(
            f'<text x="12" y="{_num(top_pad + plot_h / 2)}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 12 {_num(top_pad + plot_h / 2)})">{esc(y_label)}</text>'
        )
    for k, (name, pts) in enumerate(series.items()):
        color = _PALETTE[k % len(_PALETTE)]
        ordered = sorted(pts, key=lambda p: p[0])
        if ordered:
            d = " ".join(
                f"{'M' if i == 0 else 'L'}{_num(px(p[0]))} {_num(py(p[1]))}"
                for i, p in enumerate(ordered)
            )
            out.append(f'<path d="{d}" stroke="{color}" stroke-width="2" fill="none"/>')
        for xv, yv, lo, hi in ordered:
            cx, cy = px(xv), py(yv)
            if lo is not None and hi is not None:
                out.append(
                    f'<path d="M{_num(cx)} {_num(py(lo))}V{_num(py(hi))}M{_num(cx - 4)} {_num(py(lo))}'
                    f'H{_num(cx + 4)}M{_num(cx - 4)} {_num(py(hi))}H{_num(cx + 4)}" stroke="{color}" '
                    f'fill="none" class="whisker"/>'
                )
            out.append(
                f'<circle cx="{_num(cx)}" cy="{_num(cy)}" r="3" fill="{color}">'
                f"<title>{esc(name)}: x={esc(f'{xv:.3g}')} y={esc(_fmt(yv, percent))}</title></circle>"
            )
        ly = top_pad + 14 + 18 * k
        out.append(
            f'<rect x="{left + plot_w + 12}" y="{ly - 9}" width="12" height="10" fill="{color}"/>'
            f'<text x="{left + plot_w + 28}" y="{ly}" font-size="11">{esc(name)}</text>'
        )
    out.append("</svg>")
    return Markup("".join(out))

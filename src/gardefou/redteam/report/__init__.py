"""Red-team reports: the HTML report of a run and the comparison of two runs."""

from gardefou.redteam.report._compare import compare, load_summary
from gardefou.redteam.report._html import build_report, pct, render_report

__all__ = ["build_report", "compare", "load_summary", "pct", "render_report"]

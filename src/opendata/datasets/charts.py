"""The catalogue page's charts: what a dataset's ``charts.py`` draws with, and how the page
finds them. Charts are inline SVG (no script, no library): :func:`bar_chart` and
:func:`line_chart`."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

Chart = Callable[[Path], str]  # a published dataset's folder -> an SVG element


def charts_for(dataset: str) -> list[tuple[Chart, list[str]]]:
    """The dataset's charts (``CHARTS`` of ``datasets/<dataset>/charts.py``), each with the
    resources it reads (a chart is left out when one is missing); none without the module."""
    from opendata import datasets

    module = datasets.module(dataset, "charts")
    return list(getattr(module, "CHARTS", [])) if module is not None else []


def bar_chart(
    title: str, labels: list[str], values: list[float], muted: frozenset[int] = frozenset()
) -> str:
    """A horizontal bar chart as an SVG element (the bars at ``muted`` positions in grey: what
    is not a count of the same kind, such as what secrecy hides)."""
    width, bar, gap = 640, 18, 6
    left = max(170, 12 + 7 * max((len(label) for label in labels), default=0))
    height = 30 + len(labels) * (bar + gap)
    top = max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}"'
        f' aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 20 + i * (bar + gap)
        fill = "#767676" if i in muted else "#3a6ea5"
        length = (width - left - 60) * value / top
        parts.append(
            f'<text x="{left - 6}" y="{y + bar - 5}" text-anchor="end" font-size="12">'
            f"{html.escape(label)}</text>"
            f'<rect class="bar" x="{left}" y="{y}" width="{length:.1f}" height="{bar}" '
            f'fill="{fill}"/><text x="{left + length + 4:.1f}" y="{y + bar - 5}" '
            f'font-size="12">{value:,.0f}</text>'.replace(",", " ")
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(title: str, labels: list[str], values: list[float]) -> str:
    """A line chart (one point per label, in order) as an SVG element, with the first, middle
    and last labels on the axis and the highest value marked."""
    width, height, left, bottom, top_pad = 640, 220, 60, 30, 20
    top = max(values, default=0) or 1
    span = max(len(values) - 1, 1)
    plot_w, plot_h = width - left - 20, height - bottom - top_pad

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + plot_w * i / span, top_pad + plot_h * (1 - v / top)

    points = " ".join("{:.1f},{:.1f}".format(*xy(i, v)) for i, v in enumerate(values))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}"'
        f' aria-label="{html.escape(title)}"><title>{html.escape(title)}</title>',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}"'
        ' stroke="#999"/>',
        f'<polyline class="line" fill="none" stroke="#3a6ea5" stroke-width="2" points="{points}"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" font-size="12">'
        f"{top:,.0f}</text>".replace(",", " "),
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" font-size="12">0</text>',
    ]
    if labels:
        for i in sorted({0, len(labels) // 2, len(labels) - 1}):
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="12">'
                f"{html.escape(labels[i])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)

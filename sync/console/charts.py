"""Inline SVG bar charts (no JavaScript): eligible vs listed per row."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

BAR_HEIGHT = 18
LABEL_WIDTH = 170
WIDTH = 640


def coverage_bars(
    rows: list[tuple[str, int, int]], listed_label: str, eligible_label: str
) -> Markup:
    """One bar per (label, eligible, listed): the eligible length in grey, the listed part
    in green, the share written at its end."""
    largest = max((eligible for _, eligible, _ in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 100  # room for "123/456 78%" after the longest bar
    height = len(rows) * (BAR_HEIGHT + 6) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'role="img" class="chart">'
    ]
    for i, (label, eligible, listed) in enumerate(rows):
        y = i * (BAR_HEIGHT + 6)
        full = span * eligible / largest
        done = span * listed / largest
        share = f"{100 * listed / eligible:.0f}%" if eligible else "—"
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="12">{escape(label[:28])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{full:.1f}" height="{BAR_HEIGHT}" '
            f'fill="#d9dee4"><title>{eligible}</title></rect>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{done:.1f}" height="{BAR_HEIGHT}" '
            f'fill="#2e8b57"><title>{listed}</title></rect>'
            f'<text x="{LABEL_WIDTH + full + 4:.1f}" y="{y + 13}" font-size="12">'
            f"{listed}/{eligible} {share}</text>"
        )
    y = len(rows) * (BAR_HEIGHT + 6) + 14
    parts.append(
        f'<rect x="{LABEL_WIDTH}" y="{y - 10}" width="10" height="10" fill="#2e8b57"/>'
        f'<text x="{LABEL_WIDTH + 14}" y="{y}" font-size="11">{escape(listed_label)}</text>'
        f'<rect x="{LABEL_WIDTH + 120}" y="{y - 10}" width="10" height="10" fill="#d9dee4"/>'
        f'<text x="{LABEL_WIDTH + 134}" y="{y}" font-size="11">{escape(eligible_label)}</text>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))

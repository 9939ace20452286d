"""The story timeline as an SVG string: reports in time order, one lane per stance.

Pure (data in, SVG out) so it can be tested without a server, and drawn on the server so
the page needs no script. Position says when (left to right, with the gaps written out)
and which side (the lane); colour repeats the side, and every lane and mark has a text
label, so colour is never the only cue. Dashed arcs join a report to the earlier reports
it contradicted when its alert was raised.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

LANES = (
    ("supports", "Supports", "#15803d", "#ecfdf3"),
    ("discusses", "Discusses", "#a16207", "#fefbe8"),
    ("refutes", "Refutes", "#b91c1c", "#fef3f2"),
)
OTHER_LANE = ("unrelated", "Unrelated", "#4b5563", "#f3f4f6")
CONTRADICTION = "#b91c1c"

LEFT, RIGHT, TOP = 120, 70, 28
MIN_STEP, LANE_HEIGHT, RADIUS = 150, 78, 15
MIN_WIDTH = 1060  # a short story spreads over the page's width; a long one scrolls
SHOWN_GAP = timedelta(days=2)  # longer gaps between neighbours are written on the axis


@dataclass(frozen=True)
class Point:
    """One report: its place in the story's order, time, outlet and stance."""

    position: int
    article_id: int
    when: datetime | None
    outlet: str | None
    stance: str | None
    score: float | None
    title: str | None


@dataclass(frozen=True)
class Link:
    """A contradiction alert: the report that raised it and the earlier ones it contradicts."""

    alert_id: int
    article_id: int
    contradicts: tuple[int, ...]


def draw_timeline(points: Sequence[Point], links: Sequence[Link]) -> str:
    """The SVG for the given reports (in time order) and contradiction links."""
    lanes = list(LANES)
    if any(p.stance not in {lane[0] for lane in LANES} for p in points):
        lanes.append(OTHER_LANE)
    lane_y = {key: TOP + LANE_HEIGHT * (i + 0.5) for i, (key, *_rest) in enumerate(lanes)}
    axis_y = TOP + LANE_HEIGHT * len(lanes) + 6
    first_x = LEFT + 40
    step = max(MIN_STEP, (MIN_WIDTH - first_x - RIGHT) / max(len(points) - 1, 1))
    width = round(first_x + step * max(len(points) - 1, 0) + RIGHT)
    height = axis_y + 62
    at = {
        p.article_id: (
            round(first_x + step * i, 1),
            lane_y[p.stance if p.stance in lane_y else "unrelated"],
        )
        for i, p in enumerate(points)
    }
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="timeline" '
        f'aria-labelledby="timeline-title timeline-desc" font-family="inherit">',
        '<title id="timeline-title">Timeline of reports by stance</title>',
        f'<desc id="timeline-desc">{escape(_description(points))}</desc>',
        "<defs>"
        f'<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        f'fill="{CONTRADICTION}"/></marker></defs>',
    ]
    for key, label, colour, tint in lanes:
        y = lane_y[key]
        parts.append(
            f'<rect x="0" y="{y - LANE_HEIGHT / 2 + 2}" width="{width}" '
            f'height="{LANE_HEIGHT - 4}" rx="6" fill="{tint}"/>'
            f'<text x="12" y="{y + 5}" font-size="14" font-weight="600" '
            f'fill="{colour}">{label}</text>'
        )
    parts.append(
        f'<line x1="{LEFT}" y1="{axis_y}" x2="{width - 10}" y2="{axis_y}" '
        f'stroke="#9ca3af" stroke-width="1"/>'
    )
    parts.extend(_axis_labels(points, at, axis_y, step))
    positions = {p.article_id: p.position for p in points}
    for link in links:
        parts.extend(_link(link, at, positions))
    for point in points:
        parts.append(_mark(point, *at[point.article_id], axis_y))
    parts.append("</svg>")
    return "".join(parts)


def _axis_labels(
    points: Sequence[Point], at: dict[int, tuple[float, float]], axis_y: float, step: float
) -> list[str]:
    """Date under the first report of each day, time under every report, gaps written out."""
    parts = []
    previous: datetime | None = None
    for point in points:
        x = at[point.article_id][0]
        parts.append(
            f'<line x1="{x}" y1="{axis_y - 4}" x2="{x}" y2="{axis_y + 4}" stroke="#6b7280"/>'
        )
        if point.when is None:
            parts.append(_text(x, axis_y + 20, "date unknown", 12, "#6b7280"))
        else:
            if previous is None or point.when.date() != previous.date():
                parts.append(_text(x, axis_y + 20, f"{point.when:%-d %b %Y}", 12, "#111827", "600"))
            parts.append(_text(x, axis_y + 36, f"{point.when:%H:%M} UTC", 12, "#4b5563"))
            if previous is not None and point.when - previous > SHOWN_GAP:
                gap_x = x - step / 2
                parts.append(
                    f'<text x="{gap_x}" y="{axis_y + 4}" font-size="16" fill="#6b7280" '
                    f'text-anchor="middle" stroke="#fff" stroke-width="6" '
                    f'paint-order="stroke">≈</text>'
                    + _text(
                        gap_x,
                        axis_y + 54,
                        f"{_duration(point.when - previous)} later",
                        11,
                        "#6b7280",
                        style="italic",
                    )
                )
            previous = point.when
    return parts


def _link(link: Link, at: dict[int, tuple[float, float]], positions: dict[int, int]) -> list[str]:
    if link.article_id not in at:
        return []
    x1, y1 = at[link.article_id]
    parts = []
    for target in link.contradicts:
        if target not in at:
            continue
        x2, y2 = at[target]
        lift = 26 + abs(x1 - x2) * 0.12
        cx, cy = (x1 + x2) / 2, min(y1, y2) - lift
        # Start and end on the circles' rims, so the arrowhead shows.
        sx, sy = _towards(x1, y1, cx, cy, RADIUS)
        ex, ey = _towards(x2, y2, cx, cy, RADIUS + 2)
        parts.append(
            f'<a href="#contradiction-{link.alert_id}" class="contradiction-link" '
            f'data-from="{link.article_id}" data-to="{target}">'
            f"<title>Report {positions[link.article_id]} contradicts report "
            f"{positions[target]}</title>"
            f'<path d="M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}" fill="none" '
            f'stroke="{CONTRADICTION}" stroke-width="2" stroke-dasharray="6 4" opacity="0.75" '
            f'marker-end="url(#arrow)"/></a>'
        )
    return parts


def _towards(x: float, y: float, to_x: float, to_y: float, distance: float) -> tuple[float, float]:
    """The point `distance` away from (x, y) in the direction of (to_x, to_y)."""
    length = math.hypot(to_x - x, to_y - y) or 1.0
    return x + (to_x - x) / length * distance, y + (to_y - y) / length * distance


def _mark(point: Point, x: float, y: float, axis_y: float) -> str:
    colour = next((lane[2] for lane in LANES if lane[0] == point.stance), OTHER_LANE[2])
    stance = point.stance or "not judged"
    score = f" ({point.score:.0%})" if point.score is not None else ""
    when = f"{point.when:%-d %b %Y %H:%M} UTC" if point.when else "date unknown"
    outlet = point.outlet or "outlet unknown"
    tooltip = f"Report {point.position}: {outlet}, {when}. {stance}{score}. {point.title or ''}"
    return (
        f'<a href="#report-{point.article_id}" class="mark" data-article="{point.article_id}" '
        f'data-stance="{escape(stance)}"><title>{escape(tooltip.strip())}</title>'
        f'<line x1="{x}" y1="{y + RADIUS}" x2="{x}" y2="{axis_y}" stroke="#d1d5db" '
        f'stroke-dasharray="2 3"/>'
        f'<circle cx="{x}" cy="{y}" r="{RADIUS}" fill="{colour}" stroke="#fff" '
        f'stroke-width="2"/>'
        + _text(x, y + 5, str(point.position), 13, "#fff", "700")
        + _text(x, y + RADIUS + 15, _short(outlet, 22), 11, "#374151")
        + "</a>"
    )


def _text(
    x: float,
    y: float,
    content: str,
    size: int,
    fill: str,
    weight: str = "400",
    style: str = "normal",
) -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" font-style="{style}" '
        f'fill="{fill}" text-anchor="middle">{escape(content)}</text>'
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _duration(delta: timedelta) -> str:
    days = delta.total_seconds() / 86_400
    for size, unit in ((365, "year"), (30, "month"), (7, "week"), (1, "day")):
        if days >= size:
            n = round(days / size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    hours = round(delta.total_seconds() / 3600)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _description(points: Sequence[Point]) -> str:
    return "; ".join(
        f"report {p.position}, {p.outlet or 'outlet unknown'}: {p.stance or 'not judged'}"
        for p in points
    )

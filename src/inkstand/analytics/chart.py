"""The daily chart's geometry, computed once on the server and drawn as SVG by the
template: views as bars, visitors as a line, on one scale."""

from __future__ import annotations

from dataclasses import dataclass

from inkstand.analytics.reading import Day

WIDTH, HEIGHT = 720, 240
LEFT, BOTTOM, TOP = 44, 24, 12  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    line: str  # the visitors' polyline points
    ticks: list[tuple[float, int]]  # (y, value) of the horizontal grid lines
    first: str
    last: str
    base: float


def _ceiling(value: int) -> int:
    """A round number at or above ``value``, for the top of the scale."""
    step = 1
    while step * 10 < value:
        step *= 10
    return max(step, -(-value // step) * step)


def daily(days: list[Day]) -> Chart:
    top = _ceiling(max((d.views for d in days), default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(len(days), 1)
    base = TOP + plot_h

    def y(value: int) -> float:
        return round(base - value / top * plot_h, 1)

    bars = [
        Bar(round(LEFT + i * slot + slot * 0.15, 1), y(d.views), round(slot * 0.7, 1),
            round(base - y(d.views), 1), f"{d.day.isoformat()}: {d.views} views")
        for i, d in enumerate(days)
    ]  # fmt: skip
    line = " ".join(
        f"{round(LEFT + (i + 0.5) * slot, 1)},{y(d.visitors)}" for i, d in enumerate(days)
    )
    ticks = [(y(top * n // 4), top * n // 4) for n in range(5)]
    first = days[0].day.isoformat() if days else ""
    last = days[-1].day.isoformat() if days else ""
    return Chart(WIDTH, HEIGHT, bars, line, ticks, first, last, base)

"""Horizontal bar charts in plain Unicode block characters: the dashboard's chart of time per stage.

Pure: rows of (label, median, worst) in, lines of text out. A bar's solid part is the median (eighth-cell
precision), a light shade carries it on to the worst case; the figures follow the bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from tui.view.labels import fit

EIGHTHS = " ▏▎▍▌▋▊▉"
"""Partial blocks by eighths of a cell (index 1–7); a whole cell is FULL."""
FULL = "█"
SHADE = "░"
LABEL_WIDTH = 28
"""Cells for the stage name (narrower when the terminal is)."""


@dataclass(frozen=True, slots=True)
class StageBar:
    """One bar: a stage's name as shown, the median and worst working days, and how many visits they rest on."""

    label: str
    median: float
    worst: float
    visits: int


def days(value: float) -> str:
    """`12` or `12.5` (the report's own rounding)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def solid(value: float, scale: float, width: int) -> str:
    """A bar of `value` out of `scale` over `width` cells, in eighths of a cell (an empty string for zero)."""
    if scale <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = round(min(value / scale, 1.0) * width * 8)
    whole, part = divmod(eighths, 8)
    return FULL * whole + (EIGHTHS[part] if part else "")


def figures(bar: StageBar) -> str:
    """`12 / 30` (median / worst working days)."""
    return f"{days(bar.median)} / {days(bar.worst)}"


def chart_lines(
    bars: tuple[StageBar, ...] | list[StageBar], width: int
) -> list[tuple[str, str, str, str, str]]:
    """Per bar: (label cell, median bar, worst shade, padding, figures right-aligned), together `width` cells wide
    at most, so that the figures line up.

    The longest worst case fills the bar area; every bar shares that scale.
    """
    if not bars:
        return []
    numbers = max(cell_len(figures(b)) for b in bars)
    label_width = min(LABEL_WIDTH, max(8, width // 3))
    area = max(4, width - label_width - numbers - 3)
    scale = max(max(b.worst for b in bars), 1.0)
    out = []
    for bar in bars:
        median = solid(bar.median, scale, area)
        worst_cells = round(min(bar.worst / scale, 1.0) * area)
        shade = SHADE * max(0, worst_cells - cell_len(median))
        pad = " " * max(0, area - cell_len(median) - len(shade))
        out.append((fit(bar.label, label_width), median, shade, pad, figures(bar).rjust(numbers)))
    return out

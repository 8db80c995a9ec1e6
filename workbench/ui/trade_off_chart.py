"""The Benchmark page's chart: each model's quality against its speed, the best top right, every name readable."""

from __future__ import annotations

import math
from dataclasses import dataclass

import altair as alt
import pandas as pd

PLOT_HEIGHT = 260  # fixed: a legend of ten models took its room from the plot, down to 30 px
NAME_HEIGHT = 15  # pixels a name's line takes
CHAR_WIDTH = 6  # pixels a name's letter takes, about (11 px text)
X_ROOM = 1.1  # the x axis runs to 1.1 times the fastest model's speed
MIN_PLOT_WIDTH = 480  # the plot's width on a 1000 px window: names that meet there are set apart
TEXT_COLOURS = {"dark": "#fafafa", "light": "#31333f"}  # Streamlit's own text colours


def trade_off_chart(table: pd.DataFrame, quality: str) -> alt.LayerChart:
    """Quality against speed. Models with the same figures share one point, named together beside it (drawn one on
    top of the other, the last hid the others); names of close points are set a line apart."""
    points = table[["model", quality, "rows/s"]].dropna()
    shared = points.groupby([quality, "rows/s"], as_index=False, sort=False)["model"].agg(" = ".join)
    low, high = quality_range(shared[quality])
    placed = placed_names(shared, quality, (low, high))
    chart = alt.Chart(placed).encode(
        x=alt.X("rows/s:Q", title="rows per second", scale=alt.Scale(domain=[0, placed["rows/s"].max() * X_ROOM])),
        tooltip=["model", quality, "rows/s"])
    y_scale = alt.Scale(domain=[low, high])
    circles = chart.mark_circle(size=160, opacity=1).encode(
        y=alt.Y(f"{quality}:Q", title=quality, scale=y_scale),
        color=alt.Color("model:N", sort=placed["model"].tolist(), scale=alt.Scale(scheme="tableau10"),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=500)))
    names = [_names(chart, side, y_scale) for side in ("left", "right")]
    # "fit" (Streamlit's default) makes 260 the whole chart's height, legend and axis titles included: the plot was
    # what was left. fit-x fits the width only, the plot keeps its 260 px and the legend adds below.
    return alt.layer(circles, *names).properties(height=PLOT_HEIGHT,
                                                 autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def _names(chart: alt.Chart, side: str, y_scale: alt.Scale) -> alt.Chart:
    """Names on one side of their points: a fast model's on the left, or a long one was cut at the chart's edge. In
    the theme's text colour: coloured names were faint on a light page (orange, teal, yellow)."""
    # The page's background, as Streamlit's chart theme sets it, picks the colour in the browser: st.context.theme
    # reports the system's theme on the first run, not the app's.
    colour = alt.expr(f"luminance(background) < 0.5 ? '{TEXT_COLOURS['dark']}' : '{TEXT_COLOURS['light']}'")
    return (chart.mark_text(align=side, dx=10 if side == "left" else -10, dy=-10, color=colour)
            .encode(y=alt.Y("name_y:Q", scale=y_scale), text="model:N")
            .transform_filter(alt.datum.name_left if side == "right" else ~alt.datum.name_left))


def quality_range(scores: pd.Series) -> tuple[float, float]:
    """The y axis around the scores, to the tenth: on 0-1, models 0.02-0.08 apart were drawn a few pixels apart."""
    low = max(0.0, math.floor((scores.min() - 0.05) * 10) / 10)
    high = min(1.0, math.ceil((scores.max() + 0.05) * 10) / 10)
    return (low, high) if high > low else (0.0, 1.0)


def placed_names(points: pd.DataFrame, quality: str, y_range: tuple[float, float]) -> pd.DataFrame:
    """Each point with where its name goes, highest scores placed first: beside it (left for the faster half, or a
    long name was cut at the chart's edge), else on its other side, else the nearest line lower (higher once below
    the axis) where it runs into no name placed already. A name's width is guessed from its letters on a narrow plot."""
    placed = points.sort_values([quality, "rows/s"], ascending=False, kind="stable").reset_index(drop=True)
    line = (y_range[1] - y_range[0]) * NAME_HEIGHT / PLOT_HEIGHT
    fast = placed["rows/s"] > placed["rows/s"].max() / 2
    xs = placed["rows/s"] / (placed["rows/s"].max() * X_ROOM)
    taken: list[Place] = []
    for x, y, name, left_first in zip(xs, placed[quality], placed["model"], fast, strict=True):
        width = (len(name) * CHAR_WIDTH + 10) / MIN_PLOT_WIDTH
        taken.append(_free_place(x, y, width, left_first, taken, (line, y_range[0])))
    return placed.assign(name_left=[p.left for p in taken], name_y=[p.height for p in taken])


@dataclass(frozen=True)
class Place:
    """Where a name is drawn: its side of the point, its height, and the span of the plot's width it covers."""

    left: bool
    height: float
    start: float
    end: float

    def meets(self, other: Place, line: float) -> bool:  # a hair under a line apart still meets: float sums
        return self.start < other.end and other.start < self.end and abs(self.height - other.height) < line * 0.999


def _free_place(x: float, y: float, width: float, left_first: bool, taken: list[Place],
                lines: tuple[float, float]) -> Place:
    """The nearest place to the point where the name meets no other; one always is (each name placed blocks at most
    two lines)."""
    line, lowest = lines
    sides = [left_first] + ([not left_first] if _fits(x, width, not left_first) else [])
    steps = range(2 * len(taken) + 1)
    heights = [y - n * line for n in steps if y - n * line >= lowest] + [y + n * line for n in steps[1:]]
    places = (Place(left, height, *((x - width, x) if left else (x, x + width))) for height in heights for left in sides)
    return next(place for place in places if not any(place.meets(other, line) for other in taken))


def _fits(x: float, width: float, left: bool) -> bool:
    return x - width >= 0 if left else x + width <= 1

"""The Benchmark page's chart: each model's quality against its speed, the best top right, every name readable."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

PLOT_HEIGHT = 260  # fixed: a legend of ten models took its room from the plot, down to 30 px
NAME_HEIGHT = 15  # pixels a name's line takes
# Names this close along the x axis (a share of its width) may run into each other on one line.
NAME_SPAN = 0.35
TEXT_COLOURS = {"dark": "#fafafa", "light": "#31333f"}  # Streamlit's own text colours


def trade_off_chart(table: pd.DataFrame, quality: str) -> alt.LayerChart:
    """Quality against speed. Models with the same figures share one point, named together beside it (drawn one on
    top of the other, the last hid the others); names of close points are set a line apart."""
    points = table[["model", quality, "rows/s"]].dropna()
    shared = points.groupby([quality, "rows/s"], as_index=False, sort=False)["model"].agg(" = ".join)
    low, high = quality_range(shared[quality])
    placed = placed_names(shared, quality, (low, high))
    chart = alt.Chart(placed).encode(
        x=alt.X("rows/s:Q", title="rows per second", scale=alt.Scale(domain=[0, placed["rows/s"].max() * 1.1])),
        tooltip=["model", quality, "rows/s"])
    y_scale = alt.Scale(domain=[low, high])
    circles = chart.mark_circle(size=160, opacity=1).encode(
        y=alt.Y(f"{quality}:Q", title=quality, scale=y_scale),
        color=alt.Color("model:N", sort=placed["model"].tolist(), scale=alt.Scale(scheme="tableau10"),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=500)))
    names = [_names(chart, side, y_scale) for side in ("left", "right")]
    return alt.layer(circles, *names).properties(height=PLOT_HEIGHT)


def _names(chart: alt.Chart, side: str, y_scale: alt.Scale) -> alt.Chart:
    """Names on one side of their points: a fast model's on the left, or a long one was cut at the chart's edge. In
    the theme's text colour: coloured names were faint on a light page (orange, teal, yellow)."""
    colour = TEXT_COLOURS.get(getattr(st.context.theme, "type", None) or "light", TEXT_COLOURS["light"])
    return (chart.mark_text(align=side, dx=10 if side == "left" else -10, dy=-10, color=colour)
            .encode(y=alt.Y("name_y:Q", scale=y_scale), text="model:N")
            .transform_filter(alt.datum.name_left if side == "right" else ~alt.datum.name_left))


def quality_range(scores: pd.Series) -> tuple[float, float]:
    """The y axis around the scores, to the tenth: on 0-1, models 0.02-0.08 apart were drawn a few pixels apart."""
    low = max(0.0, math.floor((scores.min() - 0.05) * 10) / 10)
    high = min(1.0, math.ceil((scores.max() + 0.05) * 10) / 10)
    return (low, high) if high > low else (0.0, 1.0)


def placed_names(points: pd.DataFrame, quality: str, y_range: tuple[float, float]) -> pd.DataFrame:
    """Each point with where its name goes: left of it for the faster half, and a line lower than any name already
    placed on that side close enough to run into it (highest scores placed first)."""
    placed = points.sort_values(quality, ascending=False).reset_index(drop=True)
    placed["name_left"] = placed["rows/s"] > placed["rows/s"].max() / 2
    line = (y_range[1] - y_range[0]) * NAME_HEIGHT / PLOT_HEIGHT
    width = placed["rows/s"].max() * 1.1
    taken: list[tuple[bool, float, float]] = []
    for side, x, y in zip(placed["name_left"], placed["rows/s"] / width, placed[quality], strict=True):
        taken.append((side, x, _free_line(side, x, y, taken, line, y_range[0])))
    return placed.assign(name_y=[y for _, _, y in taken])


def _free_line(side: bool, x: float, y: float, taken: list[tuple[bool, float, float]], line: float, lowest: float) -> float:
    """The first height from the point's own downwards (upwards once below the axis) where no name is close."""
    def free(height: float) -> bool:
        return not any(s == side and abs(x - tx) < NAME_SPAN and abs(height - ty) < line for s, tx, ty in taken)

    steps = range(len(taken) + 1)
    return next((y - n * line for n in steps if y - n * line >= lowest and free(y - n * line)),
                next(y + n * line for n in steps if free(y + n * line)))

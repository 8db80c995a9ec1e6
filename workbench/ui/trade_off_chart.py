"""The Benchmark page's chart: each model's quality against its speed, the best top right, every point readable."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

PLOT_HEIGHT = 260  # fixed: a legend of ten models took its room from the plot, down to 30 px
X_ROOM = 1.1  # the x axis runs to 1.1 times the fastest model's speed: room for the fastest point's number
# Streamlit's own text colours, picked in the browser by the page's background (which its chart theme sets):
# st.context.theme gave the system's theme on the first run, not the app's, so names were dark on a dark page.
TEXT_COLOUR = alt.expr("luminance(background) < 0.5 ? '#fafafa' : '#31333f'")


def trade_off_chart(table: pd.DataFrame, quality: str) -> alt.LayerChart:
    """Quality against speed, each point numbered as in the legend under the chart ("1 · all-MiniLM-L6-v2").

    Numbers, not names, beside the points: names of models of close scores and speeds ran into each other and over
    other points, and read as their neighbours'. Models with the same figures share one point and one number (drawn
    one on top of the other, the last hid the others)."""
    numbered = numbered_points(table, quality)
    low, high = quality_range(numbered[quality])
    chart = alt.Chart(numbered).encode(
        x=alt.X("rows/s:Q", title="rows per second", scale=alt.Scale(domain=[0, numbered["rows/s"].max() * X_ROOM])),
        y=alt.Y(f"{quality}:Q", title=quality, scale=alt.Scale(domain=[low, high])),
        tooltip=["model", quality, "rows/s"])
    circles = chart.mark_circle(size=160, opacity=1).encode(
        color=alt.Color("key:N", title="model", sort=numbered["key"].tolist(), scale=alt.Scale(scheme="tableau10"),
                        legend=alt.Legend(orient="bottom", columns=1, labelLimit=500)))
    numbers = chart.mark_text(align="left", dx=9, dy=-9, fontWeight="bold", color=TEXT_COLOUR).encode(text="number:N")
    # "fit" (Streamlit's default) makes 260 px the whole chart's height, legend included: the plot was what was left
    # (34 px for five models). "fit-x" fits the width only.
    return alt.layer(circles, numbers).properties(height=PLOT_HEIGHT,
                                                  autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def numbered_points(table: pd.DataFrame, quality: str) -> pd.DataFrame:
    """A row per point, in the table's order, numbered from 1, with its legend entry."""
    points = table[["model", quality, "rows/s"]].dropna()
    shared = points.groupby([quality, "rows/s"], as_index=False, sort=False)["model"].agg(" = ".join)
    numbers = [str(n) for n in range(1, len(shared) + 1)]
    return shared.assign(number=numbers, key=[f"{n} · {model}" for n, model in zip(numbers, shared["model"], strict=True)])


def quality_range(scores: pd.Series) -> tuple[float, float]:
    """The y axis around the scores, to the tenth: on 0-1, models 0.02-0.08 apart were drawn a few pixels apart."""
    low = max(0.0, math.floor((scores.min() - 0.05) * 10) / 10)
    high = min(1.0, math.ceil((scores.max() + 0.05) * 10) / 10)
    return (low, high) if high > low else (0.0, 1.0)

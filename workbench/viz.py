"""Plotly defaults for the workbench: one theme, and output that renders offline."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

TEMPLATE = "plotly_white"
COLORWAY = ["#0B64DD", "#F04E98", "#00BFB3", "#FEC514", "#6C5CE7", "#FA744E"]


def setup() -> None:
    """Embed plotly.js in notebook output, so executed notebooks and HTML work offline."""
    pio.renderers.default = "plotly_mimetype+notebook"
    pio.templates.default = TEMPLATE


def bar(df: pd.DataFrame, x: str, y: str, title: str) -> go.Figure:
    """A bar chart of one column against another, in the workbench's colours."""
    fig = go.Figure(go.Bar(x=df[x], y=df[y], marker_color=COLORWAY[0]))
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, colorway=COLORWAY)
    return fig


def line(
    df: pd.DataFrame, x: str, y: str, title: str, marks: dict[str, float] | None = None
) -> go.Figure:
    """A line chart of one column against another, with optional labelled horizontal
    marks (thresholds such as disk watermarks)."""
    fig = go.Figure(go.Scatter(x=df[x], y=df[y], mode="lines", line_color=COLORWAY[0]))
    for label, value in (marks or {}).items():
        fig.add_hline(y=value, line_dash="dot", line_color=COLORWAY[1], annotation_text=label)
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, colorway=COLORWAY)
    return fig


def geo_scatter(df: pd.DataFrame, size: str, color: str, text: str, title: str) -> go.Figure:
    """Points at their longitude/latitude, sized and coloured by two columns. No map
    tiles or coastlines are fetched, so the figure renders offline."""
    scale = df[size].max() or 1
    fig = go.Figure(
        go.Scatter(
            x=df["lon"],
            y=df["lat"],
            mode="markers",
            text=df[text],
            marker={
                "size": 8 + 40 * df[size] / scale,
                "color": df[color],
                "colorscale": "Viridis",
                "showscale": True,
                "colorbar": {"title": color},
                "opacity": 0.8,
            },
            hovertemplate="%{text}<br>" + f"{size}: %{{marker.size}}<extra></extra>",
        )
    )
    fig.update_layout(
        title=title,
        xaxis={"title": "longitude", "range": [-180, 180]},
        yaxis={"title": "latitude", "range": [-60, 75], "scaleanchor": "x"},
    )
    return fig

"""Geography: sales density on geotiles, and shipping delay by region. The maps are
plain longitude/latitude scatters (no tiles, no topojson), so reports render offline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from elasticsearch import Elasticsearch

from workbench.analytics.query import DEFAULT_TIMEOUT, Filters, composite


def tile_centre(key: str) -> tuple[float, float]:
    """The (lat, lon) centre of a ``zoom/x/y`` web-mercator tile."""
    zoom, x, y = (int(p) for p in key.split("/"))
    n = 2**zoom
    lon = (x + 0.5) / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))
    return lat, lon


def tile_of(lat: np.ndarray, lon: np.ndarray, zoom: int) -> list[str]:
    """The ``zoom/x/y`` tile of each point (the geotile_grid formula, for checks)."""
    n = 2**zoom
    x = np.floor((lon + 180) / 360 * n).astype(int).clip(0, n - 1)
    rad = np.radians(lat)
    y = np.floor((1 - np.log(np.tan(rad) + 1 / np.cos(rad)) / math.pi) / 2 * n).astype(int)
    return [f"{zoom}/{a}/{b}" for a, b in zip(x, y.clip(0, n - 1), strict=True)]


def sales_density(
    es: Elasticsearch, zoom: int = 5, filters: Filters | None = None, index: str = "commerce-orders"
) -> pd.DataFrame:
    """Orders and revenue (EUR) per geotile, with each tile's centre."""
    sources = [{"tile": {"geotile_grid": {"field": "geo.location", "precision": zoom}}}]
    pages = list(
        composite(
            es,
            index,
            sources,
            {"revenue": {"sum": {"field": "total_eur"}}},
            (filters or Filters()).query(),
        )
    )
    if not pages:
        return pd.DataFrame(columns=["tile", "lat", "lon", "orders", "revenue_eur"])
    frame = pd.concat(pages, ignore_index=True).rename(
        columns={"doc_count": "orders", "revenue": "revenue_eur"}
    )
    centres = frame["tile"].map(tile_centre)
    frame["lat"] = centres.map(lambda c: round(c[0], 4))
    frame["lon"] = centres.map(lambda c: round(c[1], 4))
    frame["revenue_eur"] = frame["revenue_eur"].round(2)
    return frame[["tile", "lat", "lon", "orders", "revenue_eur"]]


def shipping_delay(
    es: Elasticsearch,
    by: str = "geo.region",
    filters: Filters | None = None,
    index: str = "commerce-shipments",
) -> pd.DataFrame:
    """Shipments, mean and p90 delay (hours) per region, with the region's location.
    p90 comes from a TDigest: close to, not always equal to, the exact percentile."""
    response = es.search(
        index=index,
        size=0,
        query=(filters or Filters()).query(),
        timeout=DEFAULT_TIMEOUT,
        aggs={
            "by": {
                "terms": {"field": by, "size": 500},
                "aggs": {
                    "mean": {"avg": {"field": "delay_hours"}},
                    "p90": {"percentiles": {"field": "delay_hours", "percents": [90]}},
                    "where": {"geo_centroid": {"field": "geo.location"}},
                },
            }
        },
    )
    rows = []
    for b in response["aggregations"]["by"]["buckets"]:
        location = b["where"].get("location") or {}
        rows.append(
            {
                by: b["key"],
                "shipments": b["doc_count"],
                "mean_hours": round(b["mean"]["value"], 2),
                "p90_hours": round(b["p90"]["values"]["90.0"], 2),
                "lat": location.get("lat"),
                "lon": location.get("lon"),
            }
        )
    return pd.DataFrame(rows, columns=[by, "shipments", "mean_hours", "p90_hours", "lat", "lon"])

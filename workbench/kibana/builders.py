"""The commerce dashboards as code: data views over the read aliases, and dashboards of
by-value Lens panels in the shape Kibana 8.x/9.x exports them.

* **Commerce operations**: payments by status over time (share of declines and errors),
  payment volume by gateway, order throughput, shipping delay by carrier;
* **Commerce business**: revenue (EUR) over time and in total, funnel events by hour
  (cart to purchase), add-to-cart activity by category across the promotion windows,
  orders and revenue by country.

``workbench kibana dashboards`` writes them to ``dashboards/``; the tests check that the
files there are exactly what these builders produce and that they validate.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from workbench.kibana.model import SavedObject

CORE_MIGRATION = "8.8.0"
DASHBOARD_MIGRATION = "8.9.0"
LENS_VERSION = "8.9.0"
NAMESPACE = uuid.UUID("6f1c2a52-95d4-4c41-9c55-0d1f4c0f7a11")


def _id(*parts: str) -> str:
    """Stable ids: the same names always give the same uuid."""
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


@dataclass(frozen=True)
class View:
    key: str
    title: str

    @property
    def id(self) -> str:
        return f"commerce-workbench-{self.key}"


VIEWS = {
    v.key: v
    for v in (
        View("orders", "commerce-orders"),
        View("events", "commerce-events"),
        View("payments", "commerce-pii-payments"),
        View("shipments", "commerce-shipments"),
    )
}


def data_view(view: View) -> SavedObject:
    return {
        "type": "index-pattern",
        "id": view.id,
        "references": [],
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": "8.0.0",
        "attributes": {
            "title": view.title,
            "name": view.title,
            "timeFieldName": "@timestamp",
            "allowNoIndex": True,
        },
    }


def date_column(interval: str = "auto") -> dict[str, Any]:
    return {
        "label": "@timestamp",
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": "@timestamp",
        "isBucketed": True,
        "scale": "interval",
        "params": {"interval": interval, "includeEmptyRows": True, "dropPartials": False},
    }


def count_column(label: str = "Count of records") -> dict[str, Any]:
    return {
        "label": label,
        "dataType": "number",
        "operationType": "count",
        "sourceField": "___records___",
        "isBucketed": False,
        "scale": "ratio",
        "params": {"emptyAsNull": True},
    }


def metric_column(operation: str, field: str, label: str) -> dict[str, Any]:
    return {
        "label": label,
        "dataType": "number",
        "operationType": operation,
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
        "params": {"emptyAsNull": True},
        "customLabel": True,
    }


def terms_column(field: str, order_by: str, size: int = 10) -> dict[str, Any]:
    return {
        "label": f"Top {size} values of {field}",
        "dataType": "string",
        "operationType": "terms",
        "sourceField": field,
        "isBucketed": True,
        "scale": "ordinal",
        "params": {
            "size": size,
            "orderBy": {"type": "column", "columnId": order_by},
            "orderDirection": "desc",
            "otherBucket": True,
            "missingBucket": False,
        },
    }


@dataclass(frozen=True)
class Panel:
    """One by-value Lens panel: a single-layer chart over one data view."""

    key: str
    title: str
    view: View
    columns: dict[str, dict[str, Any]]  # column id -> column, in display order
    chart: str  # "line", "bar_stacked", "bar_percentage_stacked", "bar_horizontal", "metric"
    x: str | None = None
    split: str | None = None
    query: str = ""
    grid: tuple[int, int, int, int] = (0, 0, 24, 12)

    @property
    def index(self) -> str:
        return _id("panel", self.key)

    @property
    def layer(self) -> str:
        return _id("layer", self.key)

    def metrics(self) -> list[str]:
        return [c for c, col in self.columns.items() if not col["isBucketed"]]

    def visualization(self) -> tuple[str, dict[str, Any]]:
        if self.chart == "metric":
            return "lnsMetric", {
                "layerId": self.layer,
                "layerType": "data",
                "metricAccessor": self.metrics()[0],
            }
        layer: dict[str, Any] = {
            "layerId": self.layer,
            "layerType": "data",
            "seriesType": self.chart,
            "xAccessor": self.x,
            "accessors": self.metrics(),
        }
        if self.split:
            layer["splitAccessor"] = self.split
        return "lnsXY", {
            "preferredSeriesType": self.chart,
            "layers": [layer],
            "legend": {"isVisible": True, "position": "right"},
            "valueLabels": "hide",
        }

    def build(self) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """The panel, and the dashboard-level references it needs."""
        ref_name = f"indexpattern-datasource-layer-{self.layer}"
        kind, visualization = self.visualization()
        x, y, w, h = self.grid
        panel = {
            "version": LENS_VERSION,
            "type": "lens",
            "panelIndex": self.index,
            "gridData": {"x": x, "y": y, "w": w, "h": h, "i": self.index},
            "embeddableConfig": {
                "enhancements": {},
                "attributes": {
                    "title": self.title,
                    "type": "lens",
                    "visualizationType": kind,
                    "references": [{"type": "index-pattern", "id": self.view.id, "name": ref_name}],
                    "state": {
                        "datasourceStates": {
                            "formBased": {
                                "layers": {
                                    self.layer: {
                                        "columnOrder": list(self.columns),
                                        "columns": self.columns,
                                        "incompleteColumns": {},
                                    }
                                }
                            }
                        },
                        "visualization": visualization,
                        "query": {"query": self.query, "language": "kuery"},
                        "filters": [],
                        "adHocDataViews": {},
                        "internalReferences": [],
                    },
                },
            },
            "title": self.title,
        }
        reference = {
            "type": "index-pattern",
            "id": self.view.id,
            "name": f"{self.index}:{ref_name}",
        }
        return panel, [reference]


def dashboard(key: str, title: str, description: str, panels: list[Panel]) -> SavedObject:
    built = [p.build() for p in panels]
    return {
        "type": "dashboard",
        "id": _id("dashboard", key),
        "coreMigrationVersion": CORE_MIGRATION,
        "typeMigrationVersion": DASHBOARD_MIGRATION,
        "references": [ref for _, refs in built for ref in refs],
        "attributes": {
            "title": title,
            "description": description,
            "timeRestore": True,
            "timeFrom": "now-30d",
            "timeTo": "now",
            "refreshInterval": {"pause": True, "value": 60000},
            "panelsJSON": [panel for panel, _ in built],
            "optionsJSON": {
                "useMargins": True,
                "syncColors": True,
                "syncTooltips": True,
                "hidePanelTitles": False,
            },
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": {"query": {"query": "", "language": "kuery"}, "filter": []}
            },
        },
    }


def operations() -> SavedObject:
    v = VIEWS
    return dashboard(
        "operations",
        "Commerce operations",
        "Payment outcomes, order throughput and shipping delays.",
        [
            Panel(
                "payments-status",
                "Payments by status (share of declines and errors)",
                v["payments"],
                {
                    "t": date_column(),
                    "s": terms_column("status", "n", 3),
                    "n": count_column("Payments"),
                },
                "bar_percentage_stacked",
                x="t",
                split="s",
                grid=(0, 0, 24, 12),
            ),
            Panel(
                "payments-gateway",
                "Payment volume by gateway (EUR)",
                v["payments"],
                {
                    "t": date_column(),
                    "g": terms_column("gateway", "a", 5),
                    "a": metric_column("sum", "amount_eur", "Amount (EUR)"),
                },
                "bar_stacked",
                x="t",
                split="g",
                query='status : "success"',
                grid=(24, 0, 24, 12),
            ),
            Panel(
                "orders-throughput",
                "Orders per interval",
                v["orders"],
                {"t": date_column(), "n": count_column("Orders")},
                "line",
                x="t",
                grid=(0, 12, 24, 12),
            ),
            Panel(
                "shipping-delay",
                "Shipping delay by carrier (mean hours)",
                v["shipments"],
                {
                    "c": terms_column("carrier", "d", 10),
                    "d": metric_column("average", "delay_hours", "Mean delay (h)"),
                },
                "bar_horizontal",
                x="c",
                grid=(24, 12, 24, 12),
            ),
        ],
    )


def business() -> SavedObject:
    v = VIEWS
    return dashboard(
        "business",
        "Commerce business",
        "Revenue, the cart-to-purchase funnel, categories and geography.",
        [
            Panel(
                "revenue-total",
                "Revenue (EUR)",
                v["orders"],
                {"r": metric_column("sum", "total_eur", "Revenue (EUR)")},
                "metric",
                grid=(0, 0, 12, 8),
            ),
            Panel(
                "revenue-time",
                "Revenue over time (EUR)",
                v["orders"],
                {"t": date_column(), "r": metric_column("sum", "total_eur", "Revenue (EUR)")},
                "line",
                x="t",
                grid=(12, 0, 36, 8),
            ),
            Panel(
                "funnel-hourly",
                "Cart to purchase by hour",
                v["events"],
                {
                    "t": date_column("1h"),
                    "e": terms_column("event.type", "n", 3),
                    "n": count_column("Events"),
                },
                "bar_stacked",
                x="t",
                split="e",
                query='event.type : ("add_to_cart" or "checkout_start" or "purchase") and '
                "not is_bot : true",
                grid=(0, 8, 48, 12),
            ),
            Panel(
                "category-promotions",
                "Add-to-cart by category across promotion windows",
                v["events"],
                {
                    "t": date_column("1d"),
                    "c": terms_column("product.category", "n", 8),
                    "n": count_column("Add to cart"),
                },
                "bar_stacked",
                x="t",
                split="c",
                query='event.type : "add_to_cart"',
                grid=(0, 20, 24, 12),
            ),
            Panel(
                "geo-revenue",
                "Revenue by country (EUR)",
                v["orders"],
                {
                    "c": terms_column("geo.country", "r", 15),
                    "r": metric_column("sum", "total_eur", "Revenue (EUR)"),
                },
                "bar_horizontal",
                x="c",
                grid=(24, 20, 24, 12),
            ),
        ],
    )


def commerce_objects() -> list[SavedObject]:
    """Every data view and dashboard the workbench ships."""
    return [*(data_view(v) for v in VIEWS.values()), operations(), business()]

"""ipywidgets controls that re-run a view when the analyst changes a filter.

``explorer(es, render)`` shows date range, storefront, region and device pickers
(choices read from the cluster) and calls ``render(filters)`` on every change. Under
papermill nothing is clicked: notebooks render once from their parameters, and the
controls are there for the interactive session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from elasticsearch import Elasticsearch
from IPython.display import display

from workbench.analytics.query import Filters

DIMENSIONS = {
    "storefront": ("storefront", "commerce-orders"),
    "region": ("geo.region", "commerce-orders"),
    "device": ("device", "commerce-orders"),
}


def choices(es: Elasticsearch, field: str, index: str, size: int = 100) -> list[str]:
    response = es.search(index=index, size=0, aggs={"v": {"terms": {"field": field, "size": size}}})
    return sorted(str(b["key"]) for b in response["aggregations"]["v"]["buckets"])


def filters_from(values: dict[str, Any]) -> Filters:
    start, end = values.get("start"), values.get("end")
    return Filters(
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
        **{k: tuple(values.get(k) or ()) for k in DIMENSIONS},
    )


def explorer(es: Elasticsearch, render: Callable[[Filters], Any]) -> widgets.Widget:
    """Controls, with ``render``'s view for all data shown at once and re-drawn in an
    output area whenever a control changes.

    The first view is displayed directly, not through the output widget: an output
    widget needs a live front end, which papermill and nbval runs do not have.
    """
    pickers: dict[str, widgets.Widget] = {
        "start": widgets.DatePicker(description="from"),
        "end": widgets.DatePicker(description="until"),
    }
    for name, (field, index) in DIMENSIONS.items():
        pickers[name] = widgets.SelectMultiple(
            options=choices(es, field, index), description=name, rows=4
        )
    output = widgets.Output()

    def refresh(_: object = None) -> None:
        output.clear_output(wait=True)
        with output:
            display(render(filters_from({k: w.value for k, w in pickers.items()})))

    for picker in pickers.values():
        picker.observe(refresh, names="value")
    display(render(Filters()))
    return widgets.VBox(
        [widgets.HBox(list(pickers.values())[:2]), widgets.HBox(list(pickers.values())[2:]), output]
    )

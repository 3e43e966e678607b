"""Charts on console pages: a page builds one with `line`, `bar` or `pie` and shows
it with console/includes/chart.html (ECharts, served locally, drawn by
kameng/static/kameng/charts.js). Values go to the browser as strings, exactly as
the ledger has them (Decimal, never float); ECharts reads them as numbers.

    context["sales_chart"] = charts.line(days, [(_("销售额"), amounts)])
    {% include "console/includes/chart.html" with chart=sales_chart id="sales" label=… %}

A page with charts also puts console/includes/chart_scripts.html in its head block.
"""

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

Number = Decimal | int
Series = tuple[object, Sequence[Number]]  # (name, one value per label)


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _series(series: Iterable[Series]) -> list[dict[str, Any]]:
    return [{"name": str(name), "data": [str(v) for v in values]} for name, values in series]


def line(labels: Sequence[object], series: Iterable[Series]) -> dict[str, Any]:
    """One line per series over the labels (days)."""
    return {"kind": "line", "labels": [_text(x) for x in labels], "series": _series(series)}


def bar(labels: Sequence[object], series: Iterable[Series], *, horizontal: bool = False) -> dict:
    """Bars per label (products, statuses); horizontal for long names."""
    chart = {"kind": "bar", "labels": [_text(x) for x in labels], "series": _series(series)}
    chart["horizontal"] = horizontal
    return chart


def pie(parts: Iterable[tuple[object, Number]]) -> dict[str, Any]:
    """Shares of a whole (orders by status)."""
    return {"kind": "pie", "parts": [{"name": str(n), "value": str(v)} for n, v in parts]}


def is_empty(chart: dict[str, Any]) -> bool:
    """No value other than zero: the include shows an empty state instead of axes."""
    if chart["kind"] == "pie":
        values = [part["value"] for part in chart["parts"]]
    else:
        values = [v for s in chart["series"] for v in s["data"]]
    return all(Decimal(v) == 0 for v in values)

"""Charts carry the ledger's exact figures to the page (strings, never floats), and a
chart with nothing to show is an empty state, not empty axes."""

import json
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string

from kameng.console import charts


def test_values_reach_the_page_exactly_as_the_ledger_has_them():
    chart = charts.line([date(2026, 12, 1), date(2026, 12, 2)], [("销售额", [Decimal("0.10"), 3])])
    html = render_to_string(
        "console/includes/chart.html", {"chart": chart, "id": "sales", "label": "每日销售额"}
    )
    data = html.split('<script id="sales-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(data) == {
        "kind": "line",
        "labels": ["2026-12-01", "2026-12-02"],
        "series": [{"name": "销售额", "data": ["0.10", "3"]}],
    }
    assert 'data-chart="sales-data"' in html and 'aria-label="每日销售额"' in html


def test_a_chart_of_zeros_is_an_empty_state():
    empty = charts.bar(["腾讯Q币卡"], [("销量", [Decimal("0.00")])], horizontal=True)
    html = render_to_string(
        "console/includes/chart.html", {"chart": empty, "id": "p", "label": "x"}
    )
    assert "data-chart" not in html and "这段时间还没有数据" in html
    assert charts.is_empty(charts.pie([("已完成", 0), ("争议中", 0)]))
    assert not charts.is_empty(charts.pie([("已完成", 3)]))

"""Template helpers of the console pages."""

from typing import Any

from django import template

from kameng.console import charts

register = template.Library()


@register.filter
def chart_is_empty(chart: dict[str, Any]) -> bool:
    return charts.is_empty(chart)

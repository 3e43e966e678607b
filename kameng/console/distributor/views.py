"""The distributor's console (/console/d/): request.principal is its Agent, and every
object a page shows comes through kameng.console.scope's distributor helpers."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kameng.console import roles
from kameng.console.access import role_required


@role_required(roles.DISTRIBUTOR)
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard (sales, spreads, balance, charts: reporting.dashboards)."""
    return render(request, "console/distributor/home.html", {"agent": request.principal})

"""The supplier's console (/console/s/): request.principal is its Supplier (or, on
pages marked needs_supplier=False, the person's SupplierAccount, approved or not), and
every object a page shows comes through kameng.console.scope's supplier helpers."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from kameng.console import roles
from kameng.console.access import role_required


@role_required(roles.SUPPLIER, needs_supplier=False)
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard once approved (reporting.dashboards.supplier_dashboard); before,
    where the application stands."""
    account = request.principal
    return render(
        request,
        "console/supplier/home.html",
        {"account": account, "supplier": getattr(account, "supplier", None)},
    )

"""/console/s/: the supplier's pages (namespace console:s). Every view here is
wrapped by @role_required(roles.SUPPLIER) (needs_supplier=False for the pages an
applicant sees); a page in the menu also gets a line in kameng/console/nav.py."""

from django.urls import path

from kameng.console.supplier import views

app_name = "s"

urlpatterns = [
    path("", views.home, name="home"),
]

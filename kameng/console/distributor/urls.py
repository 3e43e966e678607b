"""/console/d/: the distributor's pages (namespace console:d). Every view here is
wrapped by @role_required(roles.DISTRIBUTOR); a page in the menu also gets a line in
kameng/console/nav.py."""

from django.urls import path

from kameng.console.distributor import views

app_name = "d"

urlpatterns = [
    path("", views.home, name="home"),
]

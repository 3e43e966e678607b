"""/console/o/: the operator's pages (namespace console:o). Every view here is
wrapped by @role_required(roles.OPERATOR); a page in the menu also gets a line in
kameng/console/nav.py."""

from django.urls import path

from kameng.console.operator import views

app_name = "o"

urlpatterns = [
    path("", views.home, name="home"),
    path("otp/", views.otp_settings, name="otp"),
]

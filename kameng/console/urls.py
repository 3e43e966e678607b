"""/console/ (kameng/urls.py): the log-in and password pages every role shares, and
each role's console: d/ distributors, s/ suppliers, o/ the operator. Anything else
under /console/ is the console's 404."""

from django.urls import include, path, re_path

from kameng.console import views
from kameng.console.distributor import views as distributor

app_name = "console"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout, name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path("d/", include("kameng.console.distributor.urls")),
    path("s/", include("kameng.console.supplier.urls")),
    path("o/", include("kameng.console.operator.urls")),
    path("join/<str:token>/", distributor.join, name="join"),
    re_path(r"^(?P<path>.*)$", views.unknown, name="unknown"),
]

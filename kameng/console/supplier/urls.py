"""/console/s/: the supplier's pages (namespace console:s). Every view here is
wrapped by @role_required(roles.SUPPLIER) (needs_supplier=False for the pages an
applicant sees); a page in the menu also gets a line in kameng/console/nav.py."""

from django.urls import path

from kameng.console.supplier import views

app_name = "s"

urlpatterns = [
    path("", views.home, name="home"),
    path("application/", views.application, name="application"),
    path(
        "application/documents/<int:pk>/",
        views.application_document,
        name="application_document",
    ),
    path("batches/", views.batches, name="batches"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("connection/", views.connection, name="connection"),
    path("connection/test/", views.connection_test, name="connection_test"),
    path("statements/", views.statements, name="statements"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/<str:order_no>/", views.complaint, name="complaint"),
]

"""/console/o/: the operator's pages (namespace console:o). Every view here is
wrapped by @role_required(roles.OPERATOR); a page in the menu also gets a line in
kameng/console/nav.py."""

from django.urls import path

from kameng.console.operator import views

app_name = "o"

urlpatterns = [
    path("", views.home, name="home"),
    path("queues/", views.queues, name="queues"),
    path("queues/applications/<int:pk>/", views.application, name="application"),
    path("queues/disputes/<str:order_no>/", views.dispute, name="dispute"),
    path("queues/topups/<int:pk>/", views.topup_request, name="topup"),
    path("queues/withdrawals/<int:pk>/", views.withdrawal_request, name="withdrawal"),
    path("queues/risk/<str:order_no>/", views.risk_order, name="risk_order"),
    path("queues/<slug:tab>/", views.queues, name="queue"),
    path("agents/", views.agents, name="agents"),
    path("agents/<int:pk>/", views.agent, name="agent"),
    path("suppliers/", views.suppliers, name="suppliers"),
    path("suppliers/<int:pk>/", views.supplier, name="supplier"),
    path("docking/", views.docking_index, name="docking"),
    path("docking/<int:pk>/", views.docking_connection, name="docking_connection"),
    path("docking/<int:pk>/sync/", views.docking_sync, name="docking_sync"),
    path("docking/<int:pk>/reconcile/", views.docking_reconcile, name="docking_reconcile"),
    path("ledger/", views.ledger_index, name="ledger"),
    path("ledger/verify/", views.ledger_verify, name="ledger_verify"),
    path("ledger/accounts/<int:pk>/", views.account, name="account"),
    path("ledger/journals/<int:pk>/", views.journal, name="journal"),
    path("risk/", views.risk_rules, name="risk_rules"),
    path("risk/blocked/", views.risk_blocked, name="risk_blocked"),
    path("payments/", views.payments_index, name="payments"),
    path("payments/refunds/<int:pk>/retry/", views.refund_retry, name="refund_retry"),
    path("payments/<str:order_no>/", views.payment, name="payment"),
    path("otp/", views.otp_settings, name="otp"),
]

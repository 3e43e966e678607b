"""Server-to-server endpoints of the payment gateways: /pay/notify/<gateway>/.
(The buyer's return page, /pay/return/<gateway>/, is the storefront's.)"""

from django.urls import path

from kameng.payments.views import notify

app_name = "payments"

urlpatterns = [
    path("notify/<str:gateway>/", notify, name="notify"),
]

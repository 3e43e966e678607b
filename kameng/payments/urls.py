"""Server-to-server endpoints of the payment gateways: /pay/notify/<gateway>/."""

app_name = "payments"

urlpatterns: list = []

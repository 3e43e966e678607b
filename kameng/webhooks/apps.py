from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "kameng.webhooks"
    verbose_name = "订单回调"

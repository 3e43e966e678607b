from django.apps import AppConfig


class StorefrontConfig(AppConfig):
    name = "kameng.storefront"
    label = "storefront"
    verbose_name = "店铺"

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "kameng.catalog"
    verbose_name = "商品目录"

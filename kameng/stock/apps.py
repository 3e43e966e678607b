from django.apps import AppConfig


class StockConfig(AppConfig):
    name = "kameng.stock"
    verbose_name = "卡密库存"

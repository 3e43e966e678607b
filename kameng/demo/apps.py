from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kameng.demo"
    verbose_name = "演示数据"

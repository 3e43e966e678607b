"""The Celery application: configuration comes from Django settings (CELERY_*).

Workers: `celery -A kameng worker`; schedules: `celery -A kameng beat`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kameng.settings")

app = Celery("kameng")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

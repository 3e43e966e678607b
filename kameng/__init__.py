"""Kameng: the hub between virtual-goods suppliers, a distributor tree and end users."""

from kameng.celery import app as celery_app

__all__ = ["celery_app"]

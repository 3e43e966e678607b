"""Webhook admin: view only. Deliveries move only through kameng.webhooks.services."""

from django.contrib import admin

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.webhooks.models import Delivery, DeliveryTry


class DeliveryTryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryTry
    fields = ["number", "at", "http_status", "error", "duration_ms"]
    extra = 0


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "status", "state", "tries", "manual", "created_at", "next_try_at"]
    list_filter = ["state", "manual"]
    search_fields = ["order__order_no", "url"]
    list_select_related = ["order"]
    inlines = [DeliveryTryInline]
    ordering = ["-pk"]

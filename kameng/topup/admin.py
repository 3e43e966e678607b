"""Top-up admin: view only. Attempts move only through kameng.topup.services."""

from django.contrib import admin

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.topup.models import Attempt, Callback


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["request_id", "supplier", "status", "cost", "queries", "created_at"]
    list_filter = ["status", "supplier"]
    search_fields = ["request_id", "supplier_order_no", "order__order_no"]
    list_select_related = ["supplier"]
    ordering = ["-pk"]


@admin.register(Callback)
class CallbackAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "supplier", "request_id", "outcome", "effect", "remote_addr"]
    list_filter = ["effect", "supplier"]
    search_fields = ["request_id"]
    ordering = ["-pk"]

"""Orders admin: view only. Orders move only through kameng.orders.services."""

from django.contrib import admin

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.orders.models import Order, OrderEvent
from kameng.topup.models import Attempt


class OrderEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrderEvent
    fields = ["at", "from_status", "to_status", "note"]
    extra = 0


class TopupAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Attempt
    fields = ["number", "supplier", "status", "cost", "error_code", "message", "finished_at"]
    extra = 0


@admin.register(Order)
class OrderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "order_no",
        "agent",
        "channel",
        "sku",
        "quantity",
        "amount",
        "status",
        "created_at",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["order_no", "out_trade_no"]
    list_select_related = ["agent__user", "sku__product"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    inlines = [OrderEventInline, TopupAttemptInline]

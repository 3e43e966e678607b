"""Supply admin: suppliers (approve/suspend), offers, and view-only card stock.

Card secrets never appear here: not in lists, forms, search or URL filters.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.supply.models import Card, CardBatch, Offer, Supplier
from kameng.supply.services import create_supplier

SECRET_FIELDS = ("secret_encrypted", "secret_digest")
CARD_FIELDS = ("masked_code", "sku", "supplier", "batch", "cost", "status", "order", "sold_at")


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "mode", "status", "payable_balance", "created_at"]
    list_filter = ["status", "mode"]
    search_fields = ["name"]
    list_select_related = ["payable"]
    ordering = ["name"]
    fields = ["name", "mode", "status", "payable", "created_at"]
    readonly_fields = ["payable", "created_at"]
    actions = ["approve", "suspend"]

    @admin.display(description="应付余额", ordering="payable__balance")
    def payable_balance(self, obj: Supplier):
        return obj.payable.balance

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new supplier needs its payable account: let the service open both.
        created = create_supplier(obj.name, mode=obj.mode, status=obj.status)
        obj.pk = created.pk
        obj.payable = created.payable
        obj.created_at = created.created_at

    def _set_status(self, request, queryset: QuerySet, status: str) -> None:
        updated = queryset.exclude(status=status).update(status=status)
        label = Supplier.Status(status).label
        self.message_user(request, f"{updated} 个供应商已设为「{label}」", messages.SUCCESS)

    @admin.action(description="通过审核 (approve)", permissions=["change"])
    def approve(self, request, queryset):
        self._set_status(request, queryset, Supplier.Status.APPROVED)

    @admin.action(description="暂停供货 (suspend)", permissions=["change"])
    def suspend(self, request, queryset):
        self._set_status(request, queryset, Supplier.Status.SUSPENDED)


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["supplier", "sku", "cost", "active"]
    list_filter = ["active", "supplier"]
    search_fields = ["supplier__name", "sku__name", "sku__product__name"]
    list_select_related = ["supplier", "sku__product"]
    autocomplete_fields = ["supplier", "sku"]
    ordering = ["supplier__name", "sku"]


@admin.register(CardBatch)
class CardBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Batches come in through `kameng import-cards`."""

    list_display = [
        "id",
        "supplier",
        "sku",
        "cost",
        "imported",
        "rejected",
        "source_name",
        "created_at",
    ]
    list_filter = ["supplier"]
    search_fields = ["=id", "source_name", "supplier__name", "sku__name", "sku__product__name"]
    list_select_related = ["supplier", "sku__product"]
    date_hierarchy = "created_at"
    ordering = ["-pk"]


@admin.register(Card)
class CardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", *CARD_FIELDS]
    list_filter = ["status", "supplier"]
    # Exact code only (support looking up a code a customer reports); never the secret.
    search_fields = ["=code", "order__order_no"]
    list_select_related = ["sku__product", "supplier", "batch__sku__product", "order"]
    ordering = ["-pk"]
    fields = CARD_FIELDS
    readonly_fields = CARD_FIELDS
    exclude = SECRET_FIELDS

    @admin.display(description="卡号")
    def masked_code(self, obj: Card) -> str:
        return obj.masked_code

    def lookup_allowed(self, lookup, value, request=None):
        # The changelist takes field lookups from the URL (?secret_digest=...): refuse
        # any on the secret columns so they cannot be probed one guess at a time.
        if lookup.split("__", 1)[0] in SECRET_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*SECRET_FIELDS)

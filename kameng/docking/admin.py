from django.contrib import admin

from kameng.docking.models import Connection, Discrepancy, DockedSku


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["supplier", "markup_percent", "markup_fixed", "rounding", "auto_price"]
    list_display += ["synced_at", "last_error"]
    readonly_fields = ["supplier", "watermark", "synced_at", "full_synced_at", "last_error"]


@admin.register(DockedSku)
class DockedSkuAdmin(admin.ModelAdmin):
    list_display = ["connection", "remote_sku_id", "sku", "cost", "in_stock", "delisted_at"]
    list_filter = ["connection"]
    readonly_fields = [f.name for f in DockedSku._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(Discrepancy)
class DiscrepancyAdmin(admin.ModelAdmin):
    list_display = ["connection", "attempt", "kind", "ours", "theirs", "found_at", "resolved_at"]
    list_filter = ["kind", "connection"]
    readonly_fields = ["connection", "attempt", "kind", "ours", "theirs", "found_at"]

    def has_add_permission(self, request) -> bool:
        return False

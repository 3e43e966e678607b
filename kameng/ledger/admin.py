"""Ledger admin: view only. Money moves only through kameng.ledger.services."""

from django.contrib import admin

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.ledger.models import Account, Entry, Journal


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "balance", "allow_negative", "created_at"]
    list_filter = ["kind", "allow_negative"]
    search_fields = ["code", "name"]
    ordering = ["code"]


class EntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Entry
    fields = ["account", "amount"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account").order_by("pk")


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The memo stays on the journal's page: in the list it repeats the key.
    list_display = ["key", "kind", "reference", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key", "reference", "memo"]
    date_hierarchy = "created_at"
    ordering = ["-pk"]
    inlines = [EntryInline]


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "journal", "account", "amount"]
    list_filter = ["journal__kind", "account__kind"]
    search_fields = ["journal__key", "journal__reference", "account__code"]
    list_select_related = ["journal", "account"]
    ordering = ["-pk"]

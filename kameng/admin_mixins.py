"""Shared pieces for the operator admin."""


class ReadOnlyAdminMixin:
    """View-only admin (ModelAdmin or inline): no add, change or delete, for anyone.

    Rows shown this way are written only by services (ledger postings, order workflows,
    card imports); the admin may look but never touch. View permission still applies.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

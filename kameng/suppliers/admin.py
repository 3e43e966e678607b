"""Suppliers admin: qualification review (资质审核), the review log, offers.

Every decision on an application or a supplier goes through kameng.suppliers.onboarding,
which records it (SupplierReview) with the operator who made it. The supplier page
itself (供应商, with its API settings) is kameng.upstream.admin: its form connects API
suppliers through kameng.upstream.services, which sits above this app.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from kameng.admin_mixins import ReadOnlyAdminMixin, ReasonActionForm, action_reason, decide_each
from kameng.suppliers import onboarding
from kameng.suppliers.models import (
    ApplicationDocument,
    Offer,
    SupplierAccount,
    SupplierApplication,
    SupplierReview,
)

# --- qualification review -------------------------------------------------------------

APPLICATION_FIELDS = [
    "company_name",
    "licence_number",
    "contact_name",
    "contact_phone",
    "contact_email",
    "goods_list",
    "goods_note",
    "applicant",
    "status",
    "supplier",
    "submitted_at",
    "decided_at",
]


class DocumentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ApplicationDocument
    fields = ["original_name", "content_type", "size", "sha256", "uploaded_at", "download"]
    readonly_fields = fields
    extra = 0

    @admin.display(description="下载")
    def download(self, obj: ApplicationDocument) -> str:
        url = reverse(
            "admin:suppliers_supplierapplication_document", args=[obj.application_id, obj.pk]
        )
        return format_html('<a href="{}">下载</a>', url)


class ReviewInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SupplierReview
    fk_name = "application"
    fields = ["at", "decision", "reason", "decided_by", "supplier"]
    readonly_fields = fields
    extra = 0
    verbose_name_plural = "审核记录"


@admin.register(SupplierApplication)
class SupplierApplicationAdmin(admin.ModelAdmin):
    """Applications arrive through `kameng supplier-apply` (and later the web); here the
    operator reads them, opens the documents and decides."""

    action_form = ReasonActionForm
    list_display = [
        "id",
        "company_name",
        "licence_number",
        "contact_name",
        "contact_phone",
        "status",
        "document_count",
        "submitted_at",
        "decided_at",
        "supplier",
    ]
    list_filter = ["status"]
    search_fields = ["=id", "company_name", "licence_number", "contact_name", "contact_email"]
    list_select_related = ["supplier"]
    date_hierarchy = "submitted_at"
    ordering = ["-pk"]
    fields = APPLICATION_FIELDS
    readonly_fields = APPLICATION_FIELDS
    inlines = [DocumentInline, ReviewInline]
    actions = ["approve", "reject"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(documents_count=Count("documents"))

    # Nothing is typed in here: the page is read-only; decisions are the actions.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("suppliers.change_supplierapplication")

    @admin.display(description="资质文件", ordering="documents_count")
    def document_count(self, obj: SupplierApplication) -> int:
        return obj.documents_count

    @admin.display(description="授权经营的商品")
    def goods_list(self, obj: SupplierApplication) -> str:
        return format_html_join("、", "{}", ((p.name,) for p in obj.goods.order_by("pk"))) or "-"

    @admin.action(description="通过申请 (approve)", permissions=["review"])
    def approve(self, request, queryset):
        reason = action_reason(request)
        done = decide_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda a: onboarding.approve_application(a, operator=request.user, reason=reason),
        )
        self.message_user(request, f"{done} 份申请已通过, 供应商已创建", messages.SUCCESS)

    @admin.action(description="驳回申请 (reject, 需填写理由)", permissions=["review"])
    def reject(self, request, queryset):
        reason = action_reason(request)
        if not reason:
            self.message_user(request, "驳回必须填写理由", messages.ERROR)
            return
        done = decide_each(
            self,
            request,
            queryset.order_by("pk"),
            lambda a: onboarding.reject_application(a, reason=reason, operator=request.user),
        )
        self.message_user(request, f"{done} 份申请已驳回", messages.SUCCESS)

    def get_urls(self):
        download = path(
            "<path:object_id>/document/<int:document_id>/",
            self.admin_site.admin_view(self.document_view),
            name="suppliers_supplierapplication_document",
        )
        return [download, *super().get_urls()]

    def document_view(self, request, object_id: str, document_id: int) -> FileResponse:
        """Documents are private: served only here, to operators who may view them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = ApplicationDocument.objects.filter(
            pk=document_id, application_id=object_id
        ).first()
        if document is None or not document.file.storage.exists(document.file.name):
            raise Http404("no such document")
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )


@admin.register(SupplierReview)
class SupplierReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only: written by kameng.suppliers.onboarding, never edited."""

    list_display = ["at", "decision", "application", "supplier", "reason", "decided_by"]
    list_filter = ["decision"]
    search_fields = ["application__company_name", "supplier__name", "reason"]
    list_select_related = ["application", "supplier", "decided_by"]
    date_hierarchy = "at"
    ordering = ["-pk"]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["supplier", "sku", "cost", "active"]
    list_filter = ["active", "supplier"]
    search_fields = ["supplier__name", "sku__name", "sku__product__name"]
    list_select_related = ["supplier", "sku__product"]
    autocomplete_fields = ["supplier", "sku"]
    ordering = ["supplier__name", "sku"]


# --- supplier persons ---------------------------------------------------------------------


@admin.register(SupplierAccount)
class SupplierAccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Supplier console log-ins: registered by the person (or `kameng supplier-user`),
    linked to their supplier when its application is approved."""

    list_display = ["user", "supplier", "application", "created_at"]
    list_filter = [("supplier", admin.EmptyFieldListFilter)]
    search_fields = ["user__username", "user__email", "supplier__name"]
    list_select_related = ["user", "supplier", "application"]
    fields = ["user", "supplier", "application", "created_at"]
    readonly_fields = fields
    ordering = ["-pk"]

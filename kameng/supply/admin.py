"""Supply admin: suppliers, their qualification review (资质审核), offers, and view-only
card stock.

Every decision on an application or a supplier goes through kameng.supply.onboarding,
which records it (SupplierReview) with the operator who made it. Card secrets and
supplier API secrets never appear here: not in lists, forms, search or URL filters.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from kameng import vault
from kameng.admin_mixins import (
    ReadOnlyAdminMixin,
    ReasonActionForm,
    action_reason,
    decide_each,
)
from kameng.catalog.models import Sku
from kameng.errors import DomainError
from kameng.money import InvalidAmount, parse_money
from kameng.supply import onboarding
from kameng.supply.models import (
    ApplicationDocument,
    Card,
    CardBatch,
    Offer,
    Supplier,
    SupplierApplication,
    SupplierReview,
)
from kameng.supply.services import create_supplier, decode_card_file, import_cards

SECRET_FIELDS = ("secret_encrypted", "secret_digest")
CARD_FIELDS = ("masked_code", "sku", "supplier", "batch", "cost", "status", "order", "sold_at")


# --- suppliers ------------------------------------------------------------------------


def _adapter_choices() -> list[tuple[str, str]]:
    from kameng.supply.adapters import REGISTRY

    adapters = sorted((name, f"{cls.label} ({name})") for name, cls in REGISTRY.items())
    return [("", "—— 无 (手工上卡) ——"), *adapters]


class SupplierForm(forms.ModelForm):
    adapter = forms.ChoiceField(label="对接协议", choices=_adapter_choices, required=False)
    api_base_url = forms.URLField(
        label="API 地址", required=False, max_length=255, assume_scheme="https"
    )
    api_secret = forms.CharField(
        label="API 密钥",
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="只写不读: 留空则保留原密钥; 保存后加密存储, 不再显示。",
    )

    class Meta:
        model = Supplier
        fields = ["name", "mode", "adapter", "api_base_url", "merchant_id"]
        labels = {"merchant_id": "商户号"}

    def clean(self) -> dict:
        data = super().clean()
        adapter, mode = data.get("adapter"), data.get("mode")
        if mode == Supplier.Mode.API and not adapter:
            self.add_error("adapter", "API 对接的供应商必须选择对接协议")
        if adapter:
            if mode != Supplier.Mode.API:
                self.add_error("mode", "选择了对接协议, 供货方式应为「API 对接」")
            if not data.get("api_base_url"):
                self.add_error("api_base_url", "请填写供应商的 API 地址")
            if not data.get("merchant_id"):
                self.add_error("merchant_id", "请填写商户号")
            if not data.get("api_secret") and not self.instance.api_secret_encrypted:
                self.add_error("api_secret", "请填写 API 密钥")
        return data

    def save(self, commit: bool = True) -> Supplier:
        secret = self.cleaned_data.get("api_secret")
        if secret:
            self.instance.api_secret_encrypted = vault.encrypt(secret)
        return super().save(commit)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    form = SupplierForm
    action_form = ReasonActionForm
    list_display = ["name", "mode", "adapter", "status", "payable_balance", "created_at"]
    list_filter = ["status", "mode"]
    search_fields = ["name"]
    list_select_related = ["payable"]
    ordering = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "mode", "status", "payable", "created_at"]}),
        (
            "API 对接",
            {"fields": ["adapter", "api_base_url", "merchant_id", "api_secret", "secret_state"]},
        ),
    ]
    # Status changes only through the actions below, so each one is recorded.
    readonly_fields = ["status", "payable", "created_at", "secret_state"]
    actions = ["approve", "reject", "suspend"]

    @admin.display(description="应付余额", ordering="payable__balance")
    def payable_balance(self, obj: Supplier):
        return obj.payable.balance

    @admin.display(description="API 密钥状态")
    def secret_state(self, obj: Supplier) -> str:
        return "已设置" if obj.api_secret_encrypted else "未设置"

    def save_model(self, request, obj, form, change):
        editable = ["name", "mode", "adapter", "api_base_url", "merchant_id"]
        editable.append("api_secret_encrypted")
        if not change:
            # A new supplier needs its payable account: let the service open both.
            created = create_supplier(obj.name, mode=obj.mode)
            obj.pk = created.pk
            obj.payable = created.payable
            obj.created_at = created.created_at
            obj.status = created.status
            obj._state.adding = False
        # Never write status from the form: a decision made meanwhile must stand.
        obj.save(update_fields=editable)

    @admin.action(description="通过审核 / 恢复供货 (approve)", permissions=["change"])
    def approve(self, request, queryset):
        def decide(supplier: Supplier) -> None:
            if supplier.status == Supplier.Status.SUSPENDED:
                onboarding.reinstate_supplier(supplier, operator=request.user, reason=reason)
            else:
                onboarding.approve_supplier(supplier, operator=request.user, reason=reason)

        reason = action_reason(request)
        pending = queryset.exclude(status=Supplier.Status.APPROVED)
        done = decide_each(self, request, pending, decide)
        self.message_user(request, f"{done} 个供应商已通过 / 恢复供货", messages.SUCCESS)

    @admin.action(description="驳回 (reject, 需填写理由)", permissions=["change"])
    def reject(self, request, queryset):
        self._decide_with_reason(request, queryset, onboarding.reject_supplier, "驳回")

    @admin.action(description="暂停供货 (suspend, 需填写理由)", permissions=["change"])
    def suspend(self, request, queryset):
        self._decide_with_reason(request, queryset, onboarding.suspend_supplier, "暂停供货")

    def _decide_with_reason(self, request, queryset, decide, label: str) -> None:
        """Decisions that must say why: refused without a reason, else one per row."""
        reason = action_reason(request)
        if not reason:
            self.message_user(request, f"{label}必须填写理由", messages.ERROR)
            return
        done = decide_each(
            self, request, queryset, lambda s: decide(s, reason=reason, operator=request.user)
        )
        self.message_user(request, f"{done} 个供应商已{label}", messages.SUCCESS)


# --- qualification review -------------------------------------------------------------

APPLICATION_FIELDS = [
    "company_name",
    "licence_number",
    "contact_name",
    "contact_phone",
    "contact_email",
    "goods_list",
    "goods_note",
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
            "admin:supply_supplierapplication_document", args=[obj.application_id, obj.pk]
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
        return request.user.has_perm("supply.change_supplierapplication")

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
            name="supply_supplierapplication_document",
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
    """Append-only: written by kameng.supply.onboarding, never edited."""

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


MAX_CARD_FILE_BYTES = 10 * 1024 * 1024


class CardImportForm(forms.Form):
    """The same import as `kameng import-cards`: a file of codes for one SKU of one
    approved supplier, duplicates and bad lines reported by line number."""

    supplier = forms.ModelChoiceField(
        label="供应商", queryset=Supplier.objects.filter(status=Supplier.Status.APPROVED)
    )
    sku = forms.ModelChoiceField(
        label="商品规格",
        queryset=Sku.objects.filter(kind=Sku.Kind.CARD).select_related("product"),
    )
    cost = forms.CharField(
        label="成本价（元）",
        required=False,
        max_length=20,
        help_text="留空：按该供应商的供货授权价。",
    )
    file = forms.FileField(
        label="卡密文件",
        help_text="CSV「卡号,卡密」，或每行一张：卡号与卡密用 ----、Tab、逗号或空格分隔；"
        "只有一列时为卡密。UTF-8 或 GBK，最大 10 MB。",
    )

    def clean_cost(self):
        cost = self.cleaned_data["cost"].strip()
        if not cost:
            return None
        try:
            return parse_money(cost)
        except InvalidAmount as exc:
            raise forms.ValidationError(InvalidAmount.title) from exc

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CARD_FILE_BYTES:
            raise forms.ValidationError("文件超过 10 MB，请分批导入")
        return upload


def _lines(numbers: list) -> str:
    shown = "、".join(str(n) for n in numbers[:20])
    return shown + (f" 等 {len(numbers)} 行" if len(numbers) > 20 else "")


def import_summary(report: dict) -> str:
    """An import report (ImportReport.as_dict, or a refusal's details) in words."""
    parts = []
    if report.get("duplicate_in_file"):
        parts.append(f"文件内重复：第 {_lines(report['duplicate_in_file'])} 行")
    if report.get("duplicate_existing"):
        parts.append(f"与已有卡密重复：第 {_lines(report['duplicate_existing'])} 行")
    if report.get("invalid"):
        parts.append(f"格式错误：第 {_lines([item['line'] for item in report['invalid']])} 行")
    return "；".join(parts)


@admin.register(CardBatch)
class CardBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Batches are never edited; a new one comes in through the import form ("增加"
    opens it) or `kameng import-cards`, both calling supply.services.import_cards."""

    list_display = ["id", "supplier", "sku", "cost", "imported", "rejected", "created_at"]
    list_filter = ["supplier"]
    search_fields = ["=id", "source_name", "supplier__name", "sku__name", "sku__product__name"]
    list_select_related = ["supplier", "sku__product"]
    date_hierarchy = "created_at"
    ordering = ["-pk"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("supply.add_cardbatch")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CardImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                text = decode_card_file(data["file"].read(), data["file"].name)
                report = import_cards(
                    data["supplier"],
                    data["sku"],
                    text,
                    cost=data["cost"],
                    source_name=data["file"].name,
                ).as_dict()
            except DomainError as exc:
                detail = import_summary(exc.details)
                form.add_error(
                    None, f"{exc.title}（{exc.code}）" + (f"：{detail}" if detail else "")
                )
            else:
                summary = import_summary(report)
                self.message_user(
                    request,
                    f"已导入 {report['imported']} 张卡密，拒绝 {report['rejected']} 行"
                    + (f"（{summary}）" if summary else ""),
                    messages.SUCCESS if not report["rejected"] else messages.WARNING,
                )
                return HttpResponseRedirect(
                    reverse("admin:supply_cardbatch_change", args=[report["batch_id"]])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "导入卡密",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/supply/cardbatch/import.html", context)


@admin.register(Card)
class CardAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The batch by number: its name would repeat the SKU column.
    list_display = ["id", "masked_code", "sku", "supplier", "batch_no", "cost", "status", "order"]
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

    @admin.display(description="批次", ordering="batch")
    def batch_no(self, obj: Card) -> str:
        return f"#{obj.batch_id}"

    def lookup_allowed(self, lookup, value, request=None):
        # The changelist takes field lookups from the URL (?secret_digest=...): refuse
        # any on the secret columns so they cannot be probed one guess at a time.
        if lookup.split("__", 1)[0] in SECRET_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_queryset(self, request):
        return super().get_queryset(request).defer(*SECRET_FIELDS)

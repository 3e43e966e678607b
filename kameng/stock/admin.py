"""Stock admin: card batches (增加 opens the card import) and view-only cards, and the
SKU page's stock count. Card secrets never appear here: not in lists, forms, search
or URL filters.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from kameng.admin_mixins import ReadOnlyAdminMixin
from kameng.catalog.admin import SkuAdmin
from kameng.catalog.models import Sku
from kameng.errors import DomainError
from kameng.money import InvalidAmount, parse_money
from kameng.stock.models import Card, CardBatch
from kameng.stock.services import available_stock, decode_card_file, import_cards
from kameng.suppliers.models import Supplier

SECRET_FIELDS = ("secret_encrypted", "secret_digest")
CARD_FIELDS = ("masked_code", "sku", "supplier", "batch", "cost", "status", "order", "sold_at")


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
    opens it) or `kameng import-cards`, both calling stock.services.import_cards."""

    list_display = ["id", "supplier", "sku", "cost", "imported", "rejected", "created_at"]
    list_filter = ["supplier"]
    search_fields = ["=id", "source_name", "supplier__name", "sku__name", "sku__product__name"]
    list_select_related = ["supplier", "sku__product"]
    date_hierarchy = "created_at"
    ordering = ["-pk"]

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm("stock.add_cardbatch")

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
                    reverse("admin:stock_cardbatch_change", args=[report["batch_id"]])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": "导入卡密",
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/stock/cardbatch/import.html", context)


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


class SkuStockAdmin(SkuAdmin):
    """The catalog's SKU page with its unsold codes: stock counts cards, and the catalog
    knows nothing about them, so the count is added here."""

    # The stock count is one COUNT query per SKU: on the change page only, never the list.
    readonly_fields = ["stock", *SkuAdmin.readonly_fields]

    @admin.display(description="可售库存")
    def stock(self, obj: Sku) -> int | str:
        return available_stock(obj.pk) if obj.pk else "-"


admin.site.unregister(Sku)
admin.site.register(Sku, SkuStockAdmin)

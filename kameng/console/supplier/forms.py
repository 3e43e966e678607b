"""The supplier console's forms: they parse and check what a person typed, in words it
reads (Chinese first); the rules themselves stay in the services they call
(suppliers.onboarding, stock.services, upstream.services, reporting.statements)."""

from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kameng.catalog.models import Product, Sku
from kameng.console.forms import DateRangeForm
from kameng.errors import InvalidInput
from kameng.outbound import check_callback_url
from kameng.stock.services import decode_card_file
from kameng.suppliers import onboarding
from kameng.suppliers.models import Supplier
from kameng.upstream.adapters import REGISTRY
from kameng.upstream.errors import ApiSettingsIncomplete, UnknownAdapter
from kameng.upstream.services import check_api_settings

# Qualification documents: what the console accepts (the service allows up to 10 MB;
# a scan or photo of a licence is far smaller, and phones upload slowly).
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPES = (".pdf", ".png", ".jpg", ".jpeg")
# A card file, as the admin import takes it.
MAX_CARD_FILE_BYTES = 10 * 1024 * 1024
# The longest statement period one page shows.
MAX_STATEMENT_DAYS = 366


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input multiple> (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item] or [single(None, initial)]
        return [single(data, initial)] if data or self.required else []


# What the onboarding service refuses (its English message starts with…) → the field
# it belongs to and the sentence the applicant reads there.
_APPLICATION_REFUSALS = (
    ("company name", "company_name", _("请填写公司名称（不超过 128 个字）。")),
    ("contact name", "contact_name", _("请填写联系人姓名（不超过 64 个字）。")),
    ("contact phone", "contact_phone", _("请填写正确的联系电话（数字，可带 + 和 -）。")),
    ("not an email", "contact_email", _("请填写正确的邮箱地址。")),
    ("goods note", "goods_note", _("商品说明不能超过 2000 个字。")),
    ("name the goods", "goods", _("请选择经营的商品，或在商品说明里写明。")),
    ("no product", "goods", _("请选择经营的商品，或在商品说明里写明。")),
    ("licence", "licence_number", _("请核对统一社会信用代码（18 位）或营业执照注册号（15 位）。")),
)


def application_refusal(message: str) -> tuple[str | None, str] | None:
    """The field and sentence for an InvalidInput of submit_application, if known."""
    for start, field, text in _APPLICATION_REFUSALS:
        if message.startswith(start) or start in message[:40]:
            return field, str(text)
    return None


class ApplicationForm(forms.Form):
    """资质审核: the company, its licence, a contact, the goods and the documents."""

    company_name = forms.CharField(label=_("公司名称"), max_length=128)
    licence_number = forms.CharField(
        label=_("统一社会信用代码/营业执照号"),
        max_length=40,
        help_text=_("18 位统一社会信用代码，或 15 位营业执照注册号。"),
    )
    contact_name = forms.CharField(label=_("联系人"), max_length=64)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32)
    contact_email = forms.EmailField(label=_("联系邮箱"), max_length=254)
    goods = forms.ModelMultipleChoiceField(
        label=_("经营的商品"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    goods_note = forms.CharField(
        label=_("商品说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("上面没有的商品、授权范围、供货能力等。"),
    )
    documents = MultipleFileField(
        label=_("资质文件"),
        help_text=_("营业执照、授权书等；PDF、PNG 或 JPG，每个不超过 5 MB，最多 10 个。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goods"].queryset = Product.objects.filter(active=True).order_by("name", "pk")

    def clean_licence_number(self) -> str:
        try:
            return onboarding.normalise_licence(self.cleaned_data["licence_number"])
        except InvalidInput as exc:
            raise forms.ValidationError(
                _("请核对统一社会信用代码（18 位）或营业执照注册号（15 位）。")
            ) from exc

    def clean_documents(self) -> list[UploadedFile]:
        files = self.cleaned_data["documents"]
        if len(files) > onboarding.MAX_DOCUMENTS:
            raise forms.ValidationError(_("最多上传 10 个文件。"))
        for upload in files:
            name = PurePath(str(upload.name or "")).name
            if PurePath(name).suffix.lower() not in DOCUMENT_TYPES:
                raise forms.ValidationError(
                    _("%(name)s：只接受 PDF、PNG 或 JPG 文件。") % {"name": name}
                )
            if upload.size > MAX_DOCUMENT_BYTES:
                raise forms.ValidationError(_("%(name)s：文件超过 5 MB。") % {"name": name})
            try:
                onboarding.check_document(upload)
            except InvalidInput as exc:
                raise forms.ValidationError(
                    _("%(name)s：文件内容不是有效的 PDF、PNG 或 JPG，或与扩展名不符。")
                    % {"name": name}
                ) from exc
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        no_goods = not data.get("goods") and not (data.get("goods_note") or "").strip()
        if no_goods and "goods" not in self.errors:
            self.add_error("goods", _("请选择经营的商品，或在商品说明里写明。"))
        return data


class SkuChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Sku) -> str:
        return f"{obj.product.name} {obj.name}"


class BatchUploadForm(forms.Form):
    """One batch of card codes for one of the supplier's SKUs: pasted or a file."""

    sku = SkuChoiceField(label=_("商品规格"), queryset=Sku.objects.none(), empty_label=None)
    text = forms.CharField(
        label=_("粘贴卡密"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("每行一张：卡号与卡密用 ----、Tab、逗号或空格分隔；只有一列时为卡密。"),
    )
    file = forms.FileField(
        label=_("或上传文件"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
        help_text=_("CSV「卡号,卡密」或 TXT，UTF-8 或 GBK 编码，最大 10 MB。"),
    )

    def __init__(self, supplier: Supplier, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = (
            Sku.objects.filter(offers__supplier=supplier, offers__active=True, kind=Sku.Kind.CARD)
            .select_related("product")
            .order_by("product__name", "face_value", "pk")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text, upload = (data.get("text") or "").strip(), data.get("file")
        if text and upload:
            raise forms.ValidationError(_("请只用一种方式：粘贴卡密，或上传文件。"))
        if upload:
            if upload.size > MAX_CARD_FILE_BYTES:
                self.add_error("file", _("文件超过 10 MB，请分批上传。"))
                return data
            try:
                data["cards"] = decode_card_file(upload.read(), upload.name)
            except InvalidInput:
                self.add_error("file", _("文件编码须为 UTF-8 或 GBK 文本。"))
                return data
            data["source_name"] = PurePath(str(upload.name)).name
        elif text:
            data["cards"] = text
            data["source_name"] = ""
        elif "text" not in self.errors:
            self.add_error("text", _("请粘贴卡密或上传文件。"))
        return data


class ConnectionForm(forms.Form):
    """The API connection: protocol, address, merchant id and a write-only secret."""

    adapter = forms.ChoiceField(label=_("对接协议"))
    api_base_url = forms.URLField(label=_("API 地址"), max_length=255, assume_scheme="https")
    merchant_id = forms.CharField(label=_("商户号"), max_length=64)
    api_secret = forms.CharField(
        label=_("API 密钥"),
        required=False,
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, supplier: Supplier, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.supplier = supplier
        self.fields["adapter"].choices = sorted(
            (name, f"{cls.label} ({name})") for name, cls in REGISTRY.items()
        )
        self.fields["api_secret"].help_text = (
            _("留空则保留原密钥；填写则替换。保存后加密存储，不再显示。")
            if supplier.api_secret_encrypted
            else _("保存后加密存储，不再显示。")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        data["api_secret"] = data.get("api_secret") or None
        try:
            # A supplier, unlike the operator, may not point Kameng at its own network
            # (the webhooks' rule: public addresses only, unless a single-machine setup).
            check_callback_url(data["api_base_url"])
        except InvalidInput:
            self.add_error("api_base_url", _("API 地址须为可从公网访问的 http(s) 地址。"))
            return data
        try:
            check_api_settings(
                self.supplier,
                adapter=data["adapter"],
                base_url=data["api_base_url"],
                merchant_id=data["merchant_id"].strip(),
                secret=data["api_secret"],
            )
        except UnknownAdapter:
            self.add_error("adapter", _("没有这种对接协议"))
        except ApiSettingsIncomplete as exc:
            names = {
                "base_url": "api_base_url",
                "merchant_id": "merchant_id",
                "secret": "api_secret",
            }
            for missing in exc.details.get("missing", []):
                self.add_error(names.get(missing), _("API 对接需要填写此项。"))
        return data


class PeriodForm(DateRangeForm):
    """A statement's days, from and to (inclusive); this month so far when not given."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        today = timezone.localdate()
        end: date = data.get("end") or today
        start: date = data.get("start") or end.replace(day=1)
        if start > end:
            raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
        if end - start > timedelta(days=MAX_STATEMENT_DAYS):
            raise forms.ValidationError(_("一次最多查看 366 天。"))
        if start.year < 2000 or end.year > 9000:
            raise forms.ValidationError(_("请选择正确的日期。"))
        data["start"], data["end"] = start, end
        return data


class ReplyForm(forms.Form):
    """The supplier's answer to a complaint, for the operator deciding it."""

    text = forms.CharField(
        label=_("你的说明"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例如：核查结果、卡密批次、充值流水号。平台运营处理投诉时会看到。"),
    )

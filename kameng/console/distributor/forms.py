"""The distributor console's forms: they parse what a person typed; the services
decide (a refusal comes back as a form error through kameng.refusals)."""

import re
import secrets
from datetime import date, datetime, time, timedelta

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kameng.catalog.models import Sku
from kameng.console.forms import DateRangeForm
from kameng.storefront.models import Coupon

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}
OUT_TRADE_NO = re.compile(r"console-[0-9a-f]{20}")


def new_out_trade_no() -> str:
    """The out_trade_no of a console purchase, made when the form is shown: sending the
    same form twice is the same order (place_order is idempotent on it)."""
    return f"console-{secrets.token_hex(10)}"


def _sku_label(sku: Sku) -> str:
    return f"{sku.product.name} · {sku.name}"


class SkuChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Sku) -> str:
        return _sku_label(obj)


class OrderFilterForm(DateRangeForm):
    """The orders list's search (GET): a bad value is ignored, not an error page."""

    q = forms.CharField(label=_("订单号 / 外部订单号"), required=False, max_length=64)
    status = forms.ChoiceField(label=_("状态"), required=False)
    sku = SkuChoiceField(
        label=_("商品"), required=False, queryset=Sku.objects.none(), empty_label=_("全部")
    )

    def __init__(self, *args, skus, status_labels, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus
        self.fields["status"].choices = [("", _("全部")), *status_labels]


class BuyForm(forms.Form):
    sku = SkuChoiceField(label=_("商品"), queryset=Sku.objects.none(), empty_label=None)
    quantity = forms.IntegerField(
        label=_("数量"), min_value=1, max_value=settings.KAMENG_MAX_ORDER_QUANTITY, initial=1
    )
    recharge_account = forms.CharField(
        label=_("充值账号"),
        required=False,
        max_length=128,
        help_text=_("直充商品必填：要充值的手机号或账号。"),
    )
    out_trade_no = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, skus, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus

    def clean_out_trade_no(self) -> str:
        value = self.cleaned_data["out_trade_no"]
        if not OUT_TRADE_NO.fullmatch(value):
            raise forms.ValidationError(_("表单已失效，请重新提交。"))
        return value

    def clean(self) -> dict:
        data = super().clean()
        sku = data.get("sku")
        if sku is not None and sku.kind == Sku.Kind.DIRECT and not data.get("recharge_account"):
            self.add_error("recharge_account", _("直充商品须填写充值账号。"))
        return data


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("问题说明"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class InviteForm(forms.Form):
    label = forms.CharField(label=_("备注"), required=False, max_length=64)
    max_uses = forms.IntegerField(label=_("可用次数"), required=False, min_value=1, max_value=10000)
    days = forms.IntegerField(
        label=_("有效天数"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("不填则长期有效。"),
    )

    def expires_at(self) -> datetime | None:
        days = self.cleaned_data.get("days")
        return timezone.now() + timedelta(days=days) if days else None


class JoinForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    email = forms.EmailField(label=_("邮箱"), required=False)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label=_("确认密码"), widget=forms.PasswordInput, max_length=128)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", _("两次输入的密码不一致。"))
        return data


class PriceForm(forms.Form):
    sub_agent_price = forms.DecimalField(label=_("下级进货价"), required=False, **MONEY)
    retail_price = forms.DecimalField(label=_("店铺零售价"), required=False, **MONEY)


class ApiKeyForm(forms.Form):
    label = forms.CharField(label=_("备注"), required=False, max_length=64)


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=_("金额"), **MONEY)
    reference = forms.CharField(label=_("转账流水号"), max_length=64)
    note = forms.CharField(label=_("备注"), required=False, max_length=255)


class WithdrawalForm(forms.Form):
    amount = forms.DecimalField(label=_("金额"), **MONEY)
    payee = forms.CharField(
        label=_("收款账户"), max_length=128, help_text=_("银行卡或支付宝账号，含户名。")
    )


class PeriodForm(DateRangeForm):
    """The statement's dates (GET); the last 30 days when none or bad ones are given."""

    def period(self) -> tuple[date, date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=29)
        return start, end


class StorefrontForm(forms.Form):
    name = forms.CharField(label=_("店铺名称"), max_length=64)
    slug = forms.CharField(
        label=_("店铺地址"), max_length=32, help_text=_("3–32 位小写字母、数字或连字符。")
    )
    notice = forms.CharField(
        label=_("店铺公告"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    colour = forms.CharField(
        label=_("主题色"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    logo = forms.ImageField(label=_("店铺标志"), required=False)
    clear_logo = forms.BooleanField(label=_("删除现有标志"), required=False)


class CouponForm(forms.Form):
    code = forms.CharField(label=_("优惠码"), max_length=32)
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[(Coupon.Kind.FIXED, _("立减（元）")), (Coupon.Kind.PERCENT, _("折扣（%）"))],
    )
    value = forms.DecimalField(label=_("面额"), **MONEY)
    min_amount = forms.DecimalField(label=_("最低消费"), required=False, **MONEY)
    usage_limit = forms.IntegerField(
        label=_("可用次数"), required=False, min_value=1, max_value=1_000_000
    )
    expires_on = forms.DateField(
        label=_("截止日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def expires_at(self) -> datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


class TierForm(forms.Form):
    sku = SkuChoiceField(label=_("商品"), queryset=Sku.objects.none(), empty_label=None)
    min_quantity = forms.IntegerField(label=_("起购数量"), min_value=2)
    unit_price = forms.DecimalField(label=_("单价"), **MONEY)

    def __init__(self, *args, skus, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus


class PayLinkForm(forms.Form):
    sku = SkuChoiceField(label=_("商品"), queryset=Sku.objects.none(), empty_label=None)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, initial=1)
    contact = forms.CharField(label=_("买家联系方式"), required=False, max_length=128)
    recharge_account = forms.CharField(label=_("充值账号"), required=False, max_length=128)

    def __init__(self, *args, skus, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sku"].queryset = skus

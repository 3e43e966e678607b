"""The operator console's forms: they check shapes (a choice, a reference, a reason
typed); whether a decision is allowed is the services' to say (kameng.refusals shows
their refusals on the form)."""

import json
import re

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from kameng.risk.rules import KINDS
from kameng.suppliers.models import Supplier

# Refusals an operator can meet on these pages (kameng.errors titles; makemessages does
# not read the classes, so they are marked here).
OPERATOR_ERROR_TITLES = (
    gettext_noop("操作未完成"),
    gettext_noop("没有找到"),
    gettext_noop("与当前状态冲突"),
    gettext_noop("输入不符合要求"),
    gettext_noop("此操作必须填写理由"),
    gettext_noop("没有这份入驻申请"),
    gettext_noop("供应商名称已被占用"),
    gettext_noop("申请或供应商当前状态不适用此决定"),
    gettext_noop("没有这条申请"),
    gettext_noop("该申请已处理，不能再作其他决定"),
    gettext_noop("该付款流水号已用于另一笔提现"),
    gettext_noop("只有运营人员可以处理此申请"),
    gettext_noop("没有这个订单"),
    gettext_noop("订单当前状态不允许此操作"),
    gettext_noop("余额不足"),
    gettext_noop("该笔款项已经入账"),
    gettext_noop("订单不在待支付状态"),
    gettext_noop("没有这笔支付"),
    gettext_noop("该订单已由另一笔交易支付"),
    gettext_noop("该交易号已用于另一笔订单"),
    gettext_noop("交易号格式不正确"),
    gettext_noop("没有这笔退款"),
    gettext_noop("只有失败的退款可以重试"),
    gettext_noop("订单不在待审核状态（可能已被处理）"),
    gettext_noop("没有这个对接站点"),
    gettext_noop("加价规则不正确"),
    gettext_noop("上游站点无法访问"),
)

REASON_MAX = 1000


def _reason(label: object, *, required: bool, help_text: object = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=REASON_MAX,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写理由")},
    )


class ApplicationDecisionForm(forms.Form):
    """Approve (a note is optional) or reject (the applicant reads why)."""

    action = forms.ChoiceField(
        label=_("决定"),
        choices=[("approve", _("通过")), ("reject", _("驳回"))],
        widget=forms.RadioSelect,
    )
    reason = _reason(_("审核意见"), required=False, help_text=_("驳回时必填，申请人会看到"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("驳回时必须填写理由"))
        return data


class DisputeDecisionForm(forms.Form):
    """Uphold the complaint (refund the payer) or reject it (the sale stands)."""

    action = forms.ChoiceField(
        label=_("决定"),
        choices=[("refund", _("支持投诉，退款")), ("reject", _("驳回投诉，交易成立"))],
        widget=forms.RadioSelect,
    )
    note = _reason(_("处理说明"), required=False, help_text=_("驳回投诉时必填，记入订单历史"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("note") or "").strip():
            self.add_error("note", _("驳回投诉时必须填写说明"))
        return data


class RiskDecisionForm(forms.Form):
    """An order held by risk control: approve (it is delivered) or reject (refunded to
    its payer). Either is kept as a label for the model's next training."""

    action = forms.ChoiceField(
        label=_("决定"),
        choices=[("approve", _("通过，正常发货")), ("reject", _("拒绝，退款给付款方"))],
        widget=forms.RadioSelect,
    )
    reason = _reason(_("审核说明"), required=False, help_text=_("拒绝时必填，记入订单历史"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("拒绝时必须填写理由"))
        return data


class ScenarioForm(forms.Form):
    """The scores at which an order is held for review or blocked, and why this version."""

    review_threshold = forms.IntegerField(label=_("人工审核分数线"), min_value=0, max_value=100000)
    block_threshold = forms.IntegerField(label=_("拦截分数线"), min_value=0, max_value=100000)
    note = forms.CharField(
        label=_("发布说明"),
        required=False,
        max_length=500,
        help_text=_("这次改了什么、为什么，记录在规则版本中"),
    )

    def clean(self) -> dict:
        data = super().clean()
        review, block = data.get("review_threshold"), data.get("block_threshold")
        if review is not None and block is not None and block < review:
            self.add_error("block_threshold", _("拦截分数线不能低于人工审核分数线"))
        return data


RULE_ACTIONS = [
    ("score", _("计分")),
    ("review", _("直接转人工审核")),
    ("block", _("直接拦截")),
]


class RuleForm(forms.Form):
    """One rule of the new version. Its parameters are a JSON object, checked by risk
    control's own validation when the version is published (kameng.risk.rules)."""

    code = forms.SlugField(label=_("代码"), max_length=64, required=False)
    kind = forms.ChoiceField(
        label=_("类型"),
        required=False,
        choices=[("", "—"), *((name, name) for name in KINDS)],
    )
    params = forms.CharField(
        label=_("参数"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
    )
    weight = forms.IntegerField(label=_("分值"), min_value=0, max_value=1000, initial=0)
    action = forms.ChoiceField(label=_("动作"), choices=RULE_ACTIONS, initial="score")
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    label = forms.CharField(label=_("说明"), max_length=200, required=False)
    remove = forms.BooleanField(label=_("删除"), required=False)

    def clean_params(self) -> dict:
        text = (self.cleaned_data.get("params") or "").strip() or "{}"
        try:
            value = json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("参数须为 JSON 对象")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("参数须为 JSON 对象"))
        return value


RuleFormSet = forms.formset_factory(RuleForm, extra=1, max_num=200, absolute_max=200)


class TopUpDecisionForm(forms.Form):
    """Approve (credit the wallet) or reject with a reason."""

    action = forms.ChoiceField(
        label=_("决定"),
        choices=[("approve", _("确认到账")), ("reject", _("驳回"))],
        widget=forms.RadioSelect,
    )
    reason = _reason(_("驳回理由"), required=False, help_text=_("驳回时必填，代理会看到"))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("驳回时必须填写理由"))
        return data


class WithdrawalPayForm(forms.Form):
    """The bank transfer that paid the withdrawal."""

    payout_reference = forms.CharField(
        label=_("付款流水号"),
        max_length=64,
        help_text=_("银行或支付宝转账的流水号，用于对账"),
        error_messages={"required": _("请填写付款流水号")},
    )


class RejectForm(forms.Form):
    """A rejection: the person reads why."""

    reason = _reason(_("驳回理由"), required=True, help_text=_("代理会看到这段说明"))


class ConfirmPaymentForm(forms.Form):
    """确认收款: the trade seen in the gateway's console, and what was checked."""

    trade_no = forms.CharField(
        label=_("网关交易号"),
        max_length=64,
        help_text=_("在支付网关后台查到的这笔付款的交易号"),
        error_messages={"required": _("请填写网关交易号")},
    )
    reason = _reason(_("理由"), required=True, help_text=_("你核对了什么（网关后台、银行流水）"))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("订单号或交易号"), max_length=64, required=False)


# Connection.Rounding, as the operator reads it (the model's labels are the admin's).
ROUNDINGS = [
    ("none", _("不取整")),
    ("tenth", _("向上取整到 0.1 元")),
    ("yuan", _("向上取整到 1 元")),
]


class PriceRuleForm(forms.Form):
    """A docked site's price rule: what our top level pays is the upstream's price ×
    (1 + percent / 100) + fixed, rounded up. Its bounds are docking's to say
    (BadPriceRule, shown on the form)."""

    markup_percent = forms.DecimalField(
        label=_("加价百分比"),
        max_digits=6,
        decimal_places=2,
        initial=0,
        help_text=_("例如 5 即加价 5%"),
    )
    markup_fixed = forms.DecimalField(
        label=_("固定加价（元）"), max_digits=12, decimal_places=2, initial=0
    )
    rounding = forms.ChoiceField(label=_("取整"), choices=ROUNDINGS, initial="none")
    auto_price = forms.BooleanField(
        label=_("自动同步价格"),
        required=False,
        initial=True,
        help_text=_(
            "开启：每次同步按上游价格重新定价；关闭：保持首次上架时的价格，成本超过售价即停售"
        ),
    )


class ConnectForm(PriceRuleForm):
    """接入上游站点: the other Kameng's address and one of its agent keys (the key is
    tried before anything is saved)."""

    name = forms.CharField(label=_("名称"), max_length=128, help_text=_("在本站作为供应商的名称"))
    url = forms.URLField(
        label=_("上游站点地址"),
        max_length=255,
        assume_scheme="https",
        help_text=_("例如 https://upstream.example.com"),
    )
    app_key = forms.CharField(
        label=_("app_key"),
        max_length=64,
        validators=[RegexValidator(r"^[\x21-\x7e]+\Z", _("app_key 只能包含英文字母、数字和符号"))],
    )
    secret = forms.CharField(
        label=_("密钥"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("上游代理后台的 API 密钥，加密存储，不再显示"),
    )

    field_order = ["name", "url", "app_key", "secret"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.startswith(("http://", "https://")):
            raise forms.ValidationError(_("地址须以 http:// 或 https:// 开头"))
        return url

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("请填写名称"))
        if Supplier.objects.filter(name=name).exists():
            raise forms.ValidationError(_("供应商名称已被占用"))
        return name


class ConnectionSettingsForm(PriceRuleForm):
    """A docked site's price rule and the upstream SKUs not mirrored here; the next
    sync applies them."""

    excluded = forms.CharField(
        label=_("不同步的上游 SKU"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "mono"}),
        help_text=_("上游 SKU id，用逗号或空格分隔；已上架的将在下次同步时下架"),
    )

    def clean_excluded(self) -> list[int]:
        words = [w for w in re.split(r"[\s,，、]+", self.cleaned_data["excluded"]) if w]
        if any(not w.isascii() or not w.isdigit() or len(w) > 18 for w in words):
            raise forms.ValidationError(_("上游 SKU id 须为数字，用逗号或空格分隔"))
        return sorted({int(w) for w in words})

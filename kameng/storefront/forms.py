"""The buyer's forms, and which of their fields a refusal is about (kameng.refusals
turns it into what the buyer reads).

The forms only check shapes (a number is a number, a field is not too long); every
rule (prices, stock, contacts, accounts, coupons, payment types) is the services'. A
form never carries a price, an amount or an agent: the services take none.
"""

from captcha.fields import CaptchaField, CaptchaTextInput
from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from kameng import refusals
from kameng.errors import DomainError

# The titles of every refusal a buyer can meet on these pages. The error classes keep
# them as plain Chinese strings (kameng/*/errors.py), which makemessages does not read,
# so they are marked for translation here; tests/storefront/test_pages.py holds this
# list to the classes' titles.
BUYER_ERROR_TITLES = (
    gettext_noop("操作未完成"),
    gettext_noop("没有找到"),
    gettext_noop("与当前状态冲突"),
    gettext_noop("输入不符合要求"),
    gettext_noop("没有这个店铺"),
    gettext_noop("优惠码无效"),
    gettext_noop("优惠券已过期"),
    gettext_noop("优惠券已被用完"),
    gettext_noop("该优惠券不适用于此商品或未达到使用门槛"),
    gettext_noop("联系方式须为邮箱或 11 位手机号"),
    gettext_noop("两次输入的充值账号不一致"),
    gettext_noop("充值账号格式不正确"),
    gettext_noop("不支持的支付方式"),
    gettext_noop("未支付的订单过多，请先支付或等待其关闭"),
    gettext_noop("订单号、联系方式或查询密码不正确"),
    gettext_noop("操作过于频繁，请稍后再试"),
    gettext_noop("尚未配置支付网关"),
    gettext_noop("没有这种支付网关"),
    gettext_noop("支付网关配置不正确"),
    gettext_noop("不支持该支付方式"),
    gettext_noop("订单不在待支付状态"),
    gettext_noop("支付暂不可用，请稍后再试"),
    gettext_noop("没有这个订单"),
    gettext_noop("订单当前状态不允许此操作"),
    gettext_noop("售价低于供货成本"),
    gettext_noop("确认收货期已过"),
    gettext_noop("充值账号不正确"),
    gettext_noop("没有这个商品规格"),
    gettext_noop("该商品规格暂停销售"),
    gettext_noop("库存不足"),
    gettext_noop("代理账户已停用"),
    gettext_noop("订单未通过风控审核"),
)

# Which field a refusal is about (by its code); any other is the form's as a whole.
ERROR_FIELDS = {
    "invalid_contact": "contact",
    "accounts_do_not_match": "recharge_account_again",
    "invalid_recharge_account": "recharge_account",
    "coupon_not_found": "coupon_code",
    "coupon_expired": "coupon_code",
    "coupon_used_up": "coupon_code",
    "coupon_not_applicable": "coupon_code",
    "invalid_payment_type": "payment_type",
    "payment_type_not_offered": "payment_type",
}
# Query passwords: what storefront.services accepts (4–64 printable characters).
PASSWORD_LENGTHS = (4, 64)


def add_refusal(form: forms.Form, exc: DomainError) -> None:
    """Show a refusal on the form (kameng.refusals): beside its field when it is about
    one the form has."""
    refusals.add_refusal(form, exc, ERROR_FIELDS)


def payment_choices(offered: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """payments.offered_types() with their labels in the active language."""
    return [(kind, gettext(label)) for kind, label in offered]


def _payment_field(offered: list[tuple[str, str]]) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("支付方式"),
        choices=payment_choices(offered),
        initial=offered[0][0] if offered else None,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择支付方式"), "invalid_choice": _("请选择支付方式")},
    )


class CheckoutForm(forms.Form):
    # quantity: added in __init__ (its bound is a setting).
    contact = forms.CharField(
        label=_("联系方式"),
        max_length=254,
        help_text=_("邮箱或 11 位手机号，查询订单时需要；填写邮箱会同时收到卡密邮件"),
    )
    query_password = forms.CharField(
        label=_("查询密码"),
        required=False,
        min_length=PASSWORD_LENGTHS[0],
        max_length=PASSWORD_LENGTHS[1],
        strip=False,
        widget=forms.PasswordInput(render_value=True),
        help_text=_("设置后，查询订单时还需输入此密码（4–64 位）"),
    )
    recharge_account = forms.CharField(label=_("充值账号"), max_length=64)
    recharge_account_again = forms.CharField(label=_("再次输入充值账号"), max_length=64)
    coupon_code = forms.CharField(label=_("优惠码"), required=False, max_length=32)

    def __init__(
        self,
        *args,
        direct: bool,
        mobile: bool,
        offered: list[tuple[str, str]],
        captcha: bool,
        **kwargs,
    ) -> None:
        """`direct`: the SKU is a top-up (it takes the account twice; `mobile`: a mobile
        number); `offered`: payments.offered_types(); `captcha`: this address must pass
        one (storefront.services.captcha_needed)."""
        super().__init__(*args, **kwargs)
        self.fields["quantity"] = forms.IntegerField(
            label=_("购买数量"),
            min_value=1,
            max_value=settings.KAMENG_MAX_ORDER_QUANTITY,  # a setting: read when asked
            initial=1,
        )
        if not direct:
            del self.fields["recharge_account"]
            del self.fields["recharge_account_again"]
        else:
            self.fields["contact"].help_text = _("邮箱或 11 位手机号，查询订单时需要")
            self.fields["recharge_account_again"].help_text = _("请仔细核对：充值成功后无法撤回")
        if direct and mobile:
            self.fields["recharge_account"].label = _("充值手机号")
            self.fields["recharge_account_again"].label = _("再次输入充值手机号")
            for name in ("recharge_account", "recharge_account_again"):
                self.fields[name].widget.attrs.update(
                    {"inputmode": "numeric", "maxlength": 13, "autocomplete": "off"}
                )
        self.fields["payment_type"] = _payment_field(offered)
        if captcha:
            self.require_captcha()
        self.mobile = mobile

    def require_captcha(self) -> None:
        """Ask for the captcha (also on a form already checked: the attempt it refused
        may be the one that made it needed)."""
        self.fields["captcha"] = CaptchaField(
            label=_("验证码"),
            widget=CaptchaInput(),
            help_text=_("看不清？提交后会换一张"),
            error_messages={
                "invalid": _("验证码不正确，请重新输入"),
                "required": _("请输入验证码"),
            },
        )


class CaptchaInput(CaptchaTextInput):
    """The captcha's image beside its answer field (one row on a phone too)."""

    template_name = "storefront/includes/captcha_widget.html"


class PaymentTypeForm(forms.Form):
    """The pay link's choice (代客下单: the seller did not choose for the buyer)."""

    def __init__(self, *args, offered: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payment_type"] = _payment_field(offered)


class LookupForm(forms.Form):
    order_no = forms.CharField(label=_("订单号"), max_length=32)
    contact = forms.CharField(
        label=_("联系方式"), max_length=254, help_text=_("下单时填写的邮箱或手机号")
    )
    query_password = forms.CharField(
        label=_("查询密码"),
        required=False,
        max_length=PASSWORD_LENGTHS[1],
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("下单时设置过才需要填写"),
    )


class ComplaintForm(forms.Form):
    reason = forms.CharField(
        label=_("投诉原因"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("请说明遇到的问题，例如卡密无效、充值未到账"),
    )

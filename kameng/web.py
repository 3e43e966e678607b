"""The developers' style page, /_style/ (only with DEBUG): every component of the shared
layout (kameng/templates/kameng/, kameng/static/kameng/kameng.css) with Chinese sample
content, for people building pages and for the browser tests (tests/web/). A platform
module: it shows made-up data and imports no app."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The order statuses' values (kameng/orders/states.py), every badge on the page.
SAMPLE_STATUSES = (
    "created",
    "paid",
    "delivering",
    "delivered",
    "completed",
    "failed",
    "refunded",
    "disputed",
    "expired",
    "review",
)


class SampleCheckoutForm(forms.Form):
    """The shape of a storefront checkout, to show the form components; it buys nothing."""

    quantity = forms.IntegerField(label=_("购买数量"), min_value=1, max_value=100, initial=1)
    contact = forms.CharField(
        label=_("联系方式"),
        max_length=64,
        help_text=_("手机号或邮箱，查询订单时需要填写"),
    )
    query_password = forms.CharField(
        label=_("查询密码"),
        required=False,
        max_length=32,
        widget=forms.PasswordInput,
        help_text=_("设置后，查询订单时还需输入此密码"),
    )
    coupon = forms.CharField(label=_("优惠码"), required=False, max_length=32)
    payment_type = forms.ChoiceField(
        label=_("支付方式"),
        choices=[("alipay", _("支付宝")), ("wxpay", _("微信支付"))],
        initial="alipay",
        widget=forms.RadioSelect,
    )
    agree = forms.BooleanField(label=_("我已阅读并同意购买须知"))


def _sample_products() -> list[dict]:
    return [
        {
            "name": gettext("腾讯QQ会员月卡（官方卡密，自动发货，24小时秒到）"),
            "price": "9.90",
            "stock": 1280,
        },
        {"name": gettext("网易云音乐黑胶VIP年卡"), "price": "158.00", "stock": 36},
        {"name": gettext("Steam 钱包充值卡 100 元（国区）"), "price": "98.50", "stock": 5},
        {
            "name": gettext("中国移动话费直充 50 元（全国通用，1-10 分钟到账）"),
            "price": "49.80",
            "stock": None,
        },
        {"name": gettext("爱奇艺黄金会员季卡"), "price": "54.00", "stock": 0},
        {"name": gettext("京东E卡 200 元"), "price": "196.00", "stock": 12},
        {"name": "Apple Gift Card 500 HKD", "price": "452.30", "stock": 3},
        {"name": gettext("百度网盘超级会员 SVIP 月卡"), "price": "25.00", "stock": 410},
    ]


def styleguide(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404
    checkout = SampleCheckoutForm(request.POST or None)
    if checkout.is_bound and checkout.is_valid():
        messages.success(request, gettext("表单校验通过（示例页面，不会下单）。"))
    rejected = SampleCheckoutForm(
        {
            "rejected-quantity": "0",
            "rejected-coupon": "SPRING-2026",
            "rejected-payment_type": "alipay",
        },
        prefix="rejected",
    )
    rejected.is_valid()
    rejected.add_error(None, gettext("优惠码 SPRING-2026 已过期。"))
    if request.method == "GET":
        messages.info(request, gettext("这是开发者样式页：所有组件的中文示例。"))
    now = timezone.now()
    products = [
        {**product, "price": Decimal(product["price"]), "initial": product["name"][:1]}
        for product in _sample_products()
    ]
    page = Paginator(range(1, 96), 10).get_page(request.GET.get("page", 2))
    return render(
        request,
        "kameng/styleguide.html",
        {
            "brand_colour": request.GET.get("brand", ""),
            "products": products,
            "checkout": checkout,
            "rejected": rejected,
            "statuses": SAMPLE_STATUSES,
            "order": {
                "order_no": "K2612071230004521",
                "name": products[0]["name"],
                "quantity": 2,
                "amount": Decimal("19.80"),
                "created_at": now - timedelta(minutes=3),
                "paid_at": None,
                "status": "delivered",
            },
            "card": {"number": "2026 1207 8832 0041", "secret": "Q7KD-9XPM-44TR-ZZ1B-H6WN-3CJA"},
            "pay_url": "https://pay.example.com/submit.php?out_trade_no=K2612071230004521",
            "page_obj": page,
        },
    )


urlpatterns = [path("", styleguide, name="styleguide")]

"""The distributor's console (/console/d/): request.principal is its Agent, and every
object a page shows comes through kameng.console.scope's distributor helpers.

Views only translate HTTP: a form is parsed, a service called, and the person is sent
back with a message (POST-redirect-GET); a refusal re-renders the page with the form's
error and status 400. Another agent's order, key, invite or coupon is the console's 404.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.core.paginator import Paginator
from django.db.models import F, Func, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from kameng.agents import credentials, invites, requests
from kameng.agents import services as agents
from kameng.agents.errors import InviteInvalid
from kameng.agents.models import Agent, AgentLevel, TopUpRequest, WithdrawalRequest
from kameng.agents.pricing import price_list
from kameng.catalog.models import Sku
from kameng.catalog.queries import skus_on_sale
from kameng.clientip import client_ip
from kameng.console import charts, roles, scope
from kameng.console.access import public, role_required
from kameng.console.distributor import forms
from kameng.devices import device_id, remember_device
from kameng.errors import DomainError
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import HOLDING_ESCROW, Status
from kameng.refusals import add_refusal, refusal_text
from kameng.reporting.dashboards import agent_dashboard
from kameng.reporting.wallets import wallet_statement
from kameng.risk.verdicts import CONSOLE, Origin
from kameng.storefront import services as storefront
from kameng.templatetags.kameng import ORDER_STATUS_LABELS
from kameng.webhooks import services as webhooks
from kameng.webhooks.states import DeliveryState

PER_PAGE = 25
PRICE_PREVIEW = 8  # SKUs whose sub-agent price the sub-agents page shows
SOLD = sorted(HOLDING_ESCROW | {Status.COMPLETED})

# The refusals a distributor can meet on these pages (their titles are plain strings
# in the error classes: marked here for makemessages; kameng.refusals translates).
DISTRIBUTOR_ERROR_TITLES = (
    gettext_noop("余额不足"),
    gettext_noop("库存不足"),
    gettext_noop("订单当前状态不允许此操作"),
    gettext_noop("确认收货期已过"),
    gettext_noop("外部订单号已用于另一笔订单"),
    gettext_noop("价格须在成本价与面值之间"),
    gettext_noop("邀请链接无效或已失效"),
    gettext_noop("代理层级已达上限"),
    gettext_noop("用户名已被占用"),
    gettext_noop("密码不符合安全要求"),
    gettext_noop("该转账流水号已提交过充值申请"),
    gettext_noop("待处理的申请过多，请等审核后再提交"),
    gettext_noop("店铺地址已被占用"),
    gettext_noop("店铺地址须为 3–32 位小写字母、数字或连字符"),
    gettext_noop("主题色须为 #RRGGBB 格式"),
    gettext_noop("店铺标志须为图片（PNG、JPEG 或 WEBP），不超过 512 KB"),
    gettext_noop("优惠码已存在"),
    gettext_noop("优惠码须为 3–32 位字母、数字或连字符"),
    gettext_noop("阶梯价须在成本价与零售价之间"),
    gettext_noop("该订单没有回调地址"),
    gettext_noop("上一次重发还未完成"),
    gettext_noop("今日重发次数已达上限"),
    gettext_noop("尚未配置支付网关"),
    gettext_noop("联系方式须为邮箱或 11 位手机号"),
    gettext_noop("代理账户已停用"),
    gettext_noop("订单未通过风控审核"),
)

INVITE_STATES = {
    invites.ACTIVE: gettext_lazy("可用"),
    invites.REVOKED: gettext_lazy("已作废"),
    invites.EXPIRED: gettext_lazy("已过期"),
    invites.USED_UP: gettext_lazy("已用完"),
}
INVITE_TONES = {invites.ACTIVE: "done", invites.REVOKED: "closed"}
JOIN_REFUSALS = {
    "unknown": gettext_lazy("这个邀请链接不存在，请向邀请你的代理确认链接是否完整。"),
    invites.REVOKED: gettext_lazy("这个邀请链接已被作废。"),
    invites.EXPIRED: gettext_lazy("这个邀请链接已过期。"),
    invites.USED_UP: gettext_lazy("这个邀请链接的名额已用完。"),
    "inviter_inactive": gettext_lazy("邀请你的代理已停用，暂时不能加入。"),
}
JOURNAL_KINDS = {
    Journal.Kind.TOPUP: gettext_lazy("代理充值"),
    Journal.Kind.ORDER_PAY: gettext_lazy("订单付款入托管"),
    Journal.Kind.ORDER_SETTLE: gettext_lazy("托管分账"),
    Journal.Kind.ORDER_REFUND: gettext_lazy("订单退款"),
    Journal.Kind.WITHDRAWAL_HOLD: gettext_lazy("提现冻结"),
    Journal.Kind.WITHDRAWAL_PAID: gettext_lazy("提现出款"),
    Journal.Kind.WITHDRAWAL_RETURNED: gettext_lazy("提现退回"),
    Journal.Kind.ADJUSTMENT: gettext_lazy("调整"),
}
REQUEST_STATES = {
    "top_up": {
        TopUpRequest.Status.SUBMITTED: (gettext_lazy("待审核"), "wait"),
        TopUpRequest.Status.APPROVED: (gettext_lazy("已入账"), "done"),
        TopUpRequest.Status.REJECTED: (gettext_lazy("已驳回"), "fail"),
    },
    "withdrawal": {
        WithdrawalRequest.Status.SUBMITTED: (gettext_lazy("待付款"), "wait"),
        WithdrawalRequest.Status.PAID: (gettext_lazy("已付款"), "done"),
        WithdrawalRequest.Status.REJECTED: (gettext_lazy("已驳回"), "fail"),
    },
}
DELIVERY_STATES = {
    DeliveryState.PENDING: (gettext_lazy("待送达"), "progress"),
    DeliveryState.DELIVERED: (gettext_lazy("已送达"), "done"),
    DeliveryState.GAVE_UP: (gettext_lazy("已放弃"), "fail"),
}
SESSION_NEW_KEY = "console_d_new_api_key"


def _page(request: HttpRequest, rows, per_page: int = PER_PAGE):
    """One page of `rows`; a malformed or huge page number is the nearest page."""
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def _skus():
    return skus_on_sale().select_related("product").order_by("product__name", "face_value", "pk")


def _refused(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, refusal_text(exc))


# --- the dashboard ------------------------------------------------------------------------


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """Sales, spreads earned (pending, released), the balance and two charts."""
    agent: Agent = request.principal
    board = agent_dashboard(agent)
    days = [d.day for d in board.daily]
    sales_chart = charts.line(
        days,
        [
            (_("自己的销售额"), [d.own.amount for d in board.daily]),
            (_("下级的销售额"), [d.subtree.amount for d in board.daily]),
            (_("已到账利润"), [d.earned for d in board.daily]),
        ],
    )
    products = board.by_product[:10]
    product_chart = charts.bar(
        [p.product for p in products],
        [(_("销售额"), [p.amount for p in products])],
        horizontal=True,
    )
    context = {
        "agent": agent,
        "board": board,
        "sales_chart": sales_chart,
        "product_chart": product_chart,
    }
    return render(request, "console/distributor/home.html", context)


# --- orders -------------------------------------------------------------------------------


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET"])
def orders_list(request: HttpRequest) -> HttpResponse:
    """The agent's orders, newest first: search by number, filter by status, SKU, dates."""
    skus = Sku.objects.select_related("product").order_by("product__name", "pk")
    form = forms.OrderFilterForm(
        request.GET or None, skus=skus, status_labels=list(ORDER_STATUS_LABELS.items())
    )
    rows = scope.agent_orders(request.principal).order_by("-created_at", "-pk")
    if form.is_bound:
        form.is_valid()
        data = form.cleaned_data
        if data.get("q"):
            q = data["q"].strip()
            rows = rows.filter(Q(order_no=q) | Q(out_trade_no=q))
        if data.get("status"):
            rows = rows.filter(status=data["status"])
        if data.get("sku"):
            rows = rows.filter(sku=data["sku"])
        if data.get("start"):
            rows = rows.filter(created_at__gte=_midnight(data["start"]))
        if data.get("end"):
            rows = rows.filter(created_at__lt=_midnight(data["end"] + timedelta(days=1)))
    context = {"form": form, "page_obj": _page(request, rows)}
    return render(request, "console/distributor/orders.html", context)


def _midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _own_order(request: HttpRequest, order_no: str) -> Order:
    return scope.one(scope.agent_orders(request.principal), order_no=order_no)


def _back_to(order: Order) -> HttpResponse:
    """A GET of an action's URL (a link followed, a reload): back to the order's page.
    Only after the lookup, so another's order is a 404 here as well."""
    return redirect("console:d:order", order_no=order.order_no)


def _bought_itself(order: Order) -> bool:
    """Its own purchase (API or console): its codes, its confirmation. A storefront
    sale's codes are the buyer's, who confirms or complains on the shop's pages."""
    return order.channel == Order.Channel.AGENT


def _order_page(
    request: HttpRequest, order: Order, dispute: forms.DisputeForm | None = None, status=200
) -> HttpResponse:
    mine = _bought_itself(order)
    cards = orders.reveal_cards(order, request.principal) if mine else []
    deliveries = [
        (d, *DELIVERY_STATES.get(d.state, (d.state, "closed")))
        for d in order.webhook_deliveries.order_by("-pk")[:20]
    ]
    can_dispute = mine and order.status == Status.DELIVERED
    context = {
        "order": order,
        "events": order.events.all(),
        "cards": cards,
        "mine": mine,
        "can_confirm": mine and order.status in (Status.DELIVERED, Status.DISPUTED),
        "can_dispute": can_dispute,
        "dispute_form": dispute or forms.DisputeForm(),
        "deliveries": deliveries,
    }
    return render(request, "console/distributor/order.html", context, status=status)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET"])
def order(request: HttpRequest, order_no: str) -> HttpResponse:
    """One order: its history, its codes (its own purchases only), confirm / complain."""
    return _order_page(request, _own_order(request, order_no))


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def order_confirm(request: HttpRequest, order_no: str) -> HttpResponse:
    order = _own_order(request, order_no)
    if request.method == "GET":
        return _back_to(order)
    if not _bought_itself(order):
        raise Http404("a storefront order is confirmed by its buyer")
    try:
        orders.confirm_receipt(order)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已确认收货，货款已结算。"))
    return redirect("console:d:order", order_no=order.order_no)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def order_dispute(request: HttpRequest, order_no: str) -> HttpResponse:
    order = _own_order(request, order_no)
    if request.method == "GET":
        return _back_to(order)
    if not _bought_itself(order):
        raise Http404("a storefront order is disputed by its buyer")
    form = forms.DisputeForm(request.POST)
    if form.is_valid():
        try:
            orders.open_dispute(order, form.cleaned_data["reason"])
        except DomainError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("已提交售后申请，平台处理前货款不会结算。"))
            return redirect("console:d:order", order_no=order.order_no)
    order.refresh_from_db()
    return _order_page(request, order, dispute=form, status=400)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def order_resend(request: HttpRequest, order_no: str) -> HttpResponse:
    """Send the order's state to its callback URL again (bounded by the service)."""
    order = _own_order(request, order_no)
    if request.method == "GET":
        return _back_to(order)
    try:
        webhooks.resend(order)
    except DomainError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("已安排重新发送回调通知。"))
    if request.POST.get("back") == "api":
        return redirect("console:d:api")
    return redirect("console:d:order", order_no=order.order_no)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
@remember_device
def buy(request: HttpRequest) -> HttpResponse:
    """Buy for itself from its balance: the same place_order as the API and the CLI."""
    skus = _skus()
    if request.method == "POST":
        form = forms.BuyForm(request.POST, skus=skus)
        if form.is_valid():
            data = form.cleaned_data
            try:
                placed = orders.place_order(
                    agent=request.principal,
                    sku_id=data["sku"].pk,
                    quantity=data["quantity"],
                    out_trade_no=data["out_trade_no"],
                    recharge_account=data["recharge_account"],
                    origin=Origin(
                        channel=CONSOLE, ip=client_ip(request), device_id=device_id(request)
                    ),
                )
            except DomainError as exc:
                add_refusal(form, exc, {"invalid_recharge_account": "recharge_account"})
            else:
                messages.success(request, _("下单成功。"))
                return redirect("console:d:order", order_no=placed.order.order_no)
        status = 400
    else:
        form = forms.BuyForm(
            initial={"out_trade_no": forms.new_out_trade_no(), "sku": request.GET.get("sku")},
            skus=skus,
        )
        status = 200
    context = {"form": form, "balance": request.principal.wallet.balance}
    return render(request, "console/distributor/buy.html", context, status=status)


# --- sub-agents and invites ---------------------------------------------------------------


def _children_of(parent: Agent):
    """`parent`'s direct sub-agents with the sales of each one's own subtree (summed
    by the database, one subquery per figure; never a recruiting commission: there is
    none)."""
    team = Q(agent__path__startswith=Concat(OuterRef("path"), Value("/"))) | Q(
        agent_id=OuterRef("pk")
    )
    sold = Order.objects.filter(team, status__in=SOLD).order_by()
    money = Order._meta.get_field("amount")
    total = sold.annotate(t=Func(F("amount"), function="SUM", output_field=money)).values("t")
    count = sold.annotate(c=Func(F("pk"), function="COUNT", output_field=IntegerField()))
    return (
        Agent.objects.filter(parent=parent)
        .select_related("user")
        .annotate(
            sales_amount=Subquery(total[:1], output_field=money),
            sales_count=Subquery(count.values("c")[:1], output_field=IntegerField()),
            below=Subquery(
                Agent.objects.filter(parent=OuterRef("pk"))
                .order_by()
                .annotate(c=Func(F("pk"), function="COUNT", output_field=IntegerField()))
                .values("c")[:1],
                output_field=IntegerField(),
            ),
        )
        .order_by("-created_at", "-pk")
    )


def _agents_page(
    request: HttpRequest, invite_form: forms.InviteForm | None = None, status: int = 200
) -> HttpResponse:
    agent: Agent = request.principal
    parent = agent
    if request.GET.get("parent"):
        parent = scope.one(scope.subtree(agent), pk=request.GET["parent"])
    now = timezone.now()
    invite_rows = []
    for invite in scope.agent_invites(agent).order_by("-pk")[:20]:
        state = invites.invite_state(invite, now)
        link = request.build_absolute_uri(reverse("console:join", args=[invite.token]))
        invite_rows.append(
            {
                "invite": invite,
                "label": INVITE_STATES[state],
                "tone": INVITE_TONES.get(state, "fail"),
                "usable": state == invites.ACTIVE,
                "link": link,
            }
        )
    levels = dict(AgentLevel.objects.values_list("depth", "name"))
    trail = []
    if parent != agent:
        ids = [int(x) for x in parent.path.split("/") if x]
        ids = ids[ids.index(agent.pk) + 1 :]
        names = dict(Agent.objects.filter(pk__in=ids).values_list("pk", "user__username"))
        trail = [(pk, names.get(pk, "")) for pk in ids]
    # What the listed sub-agents pay (their parent's sub-agent prices), a few SKUs.
    deepest = parent.depth >= settings.KAMENG_MAX_AGENT_DEPTH
    their_prices = (
        []
        if deepest
        else price_list(parent, list(_skus()[:PRICE_PREVIEW]), settings.KAMENG_MAX_AGENT_DEPTH)
    )
    context = {
        "agent": agent,
        "parent": parent,
        "their_prices": their_prices,
        "trail": trail,
        "page_obj": _page(request, _children_of(parent)),
        "levels": levels,
        "child_level": levels.get(parent.depth + 1, ""),
        "can_invite": agent.depth < settings.KAMENG_MAX_AGENT_DEPTH,
        "invite_form": invite_form or forms.InviteForm(),
        "invites": invite_rows,
    }
    return render(request, "console/distributor/agents.html", context, status=status)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET"])
def agents_list(request: HttpRequest) -> HttpResponse:
    """Its direct sub-agents (and, by ?parent=, those further down its own subtree),
    their level and sales; its invite links."""
    return _agents_page(request)


@role_required(roles.DISTRIBUTOR)
@require_POST
def invite_create(request: HttpRequest) -> HttpResponse:
    form = forms.InviteForm(request.POST)
    if form.is_valid():
        try:
            invites.create_invite(
                request.principal,
                label=form.cleaned_data["label"],
                max_uses=form.cleaned_data["max_uses"],
                expires_at=form.expires_at(),
            )
        except DomainError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("邀请链接已生成，复制下面的链接发给对方。"))
            return redirect("console:d:agents")
    return _agents_page(request, invite_form=form, status=400)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def invite_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invite = scope.one(scope.agent_invites(request.principal), pk=pk)
    if request.method == "GET":  # another's is a 404 above; its own: back
        return redirect("console:d:agents")
    invites.revoke_invite(request.principal, invite.token)
    messages.success(request, _("邀请链接已作废。"))
    return redirect("console:d:agents")


@public
@sensitive_post_parameters("password", "password2")
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """The public page behind an invite link: pick a username and password, become a
    sub-agent of the inviter (free), and land in the console signed in."""
    try:
        invite = invites.invite_for(token)
    except InviteInvalid as exc:
        return _join_refused(request, exc)
    form = forms.JoinForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                agent = invites.accept_invite(
                    token, username=data["username"], password=data["password"], email=data["email"]
                )
            except InviteInvalid as exc:
                return _join_refused(request, exc)
            except DomainError as exc:
                add_refusal(
                    form,
                    exc,
                    {"username_taken": "username", "weak_password": "password"},
                )
            else:
                auth_login(request, agent.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("欢迎加入！这是你的代理后台。"))
                return redirect("console:d:home")
    context = {"form": form, "inviter": invite.agent.user.get_username()}
    response = render(request, "console/distributor/join.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _join_refused(request: HttpRequest, exc: InviteInvalid) -> HttpResponse:
    reason = exc.details.get("reason", "unknown")
    text = JOIN_REFUSALS.get(reason, JOIN_REFUSALS["unknown"])
    response = render(request, "console/distributor/join_invalid.html", {"text": text}, status=404)
    response["Cache-Control"] = "no-store"
    return response


# --- prices -------------------------------------------------------------------------------


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET"])
def prices(request: HttpRequest) -> HttpResponse:
    """Per SKU: its own cost, the price its sub-agents pay, its shop's retail price."""
    page_obj = _page(request, _skus())
    rows = price_list(request.principal, list(page_obj), settings.KAMENG_MAX_AGENT_DEPTH)
    context = {
        "page_obj": page_obj,
        "rows": rows,
        "has_children_level": request.principal.depth < settings.KAMENG_MAX_AGENT_DEPTH,
    }
    return render(request, "console/distributor/prices.html", context)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def price(request: HttpRequest, sku_id: int) -> HttpResponse:
    """Set one SKU's sub-agent and retail prices (the service refuses below its cost)."""
    agent: Agent = request.principal
    sku = scope.one(_skus(), pk=sku_id)
    (row,) = price_list(agent, [sku], settings.KAMENG_MAX_AGENT_DEPTH)
    deepest = agent.depth >= settings.KAMENG_MAX_AGENT_DEPTH
    status = 200
    if request.method == "POST":
        form = forms.PriceForm(request.POST)
        if deepest:
            form.fields.pop("sub_agent_price")
        if form.is_valid():
            data = form.cleaned_data
            try:
                agents.set_price(
                    agent,
                    sku,
                    sub_agent_price=data.get("sub_agent_price"),
                    retail_price=data.get("retail_price"),
                )
            except DomainError as exc:
                # Beside the one price given; above the form when both were.
                given = [k for k in ("sub_agent_price", "retail_price") if data.get(k) is not None]
                add_refusal(form, exc, {"price_out_of_bounds": given[0]} if len(given) == 1 else {})
            else:
                messages.success(request, _("价格已保存。"))
                return redirect("console:d:prices")
        status = 400
    else:
        form = forms.PriceForm(
            initial={"sub_agent_price": row.sub_agent_price, "retail_price": row.retail_set}
        )
        if deepest:
            form.fields.pop("sub_agent_price")
    context = {"sku": sku, "row": row, "form": form}
    return render(request, "console/distributor/price.html", context, status=status)


# --- the shop -----------------------------------------------------------------------------


def _shop_page(request: HttpRequest, status: int = 200, **bound) -> HttpResponse:
    agent: Agent = request.principal
    shop = scope.agent_storefronts(agent).first()
    skus = _skus()
    if "shop_form" not in bound:
        initial = {"colour": storefront.DEFAULT_COLOUR, "slug": "", "name": ""}
        if shop is not None:
            initial = {"name": shop.name, "slug": shop.slug, "notice": shop.notice}
            initial["colour"] = shop.colour
        bound["shop_form"] = forms.StorefrontForm(initial=initial)
    bound.setdefault("coupon_form", forms.CouponForm())
    bound.setdefault("tier_form", forms.TierForm(skus=skus))
    bound.setdefault("pay_link_form", forms.PayLinkForm(skus=skus))
    context = {
        "shop": shop,
        "coupons": scope.agent_coupons(agent).order_by("-pk")[:50],
        "tiers": scope.agent_price_tiers(agent).order_by("sku__product__name", "min_quantity")[
            :100
        ],
        "pay_url": request.session.pop("console_d_pay_url", ""),
        **bound,
    }
    return render(request, "console/distributor/shop.html", context, status=status)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def shop(request: HttpRequest) -> HttpResponse:
    """The shop's settings (name, address, logo, notice, colour), its coupons, price
    tiers and pay links (代客下单)."""
    if request.method == "GET":
        return _shop_page(request)
    form = forms.StorefrontForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            storefront.set_storefront(
                request.principal,
                slug=data["slug"],
                name=data["name"],
                notice=data["notice"],
                colour=data["colour"],
                logo=data["logo"],
                clear_logo=data["clear_logo"],
            )
        except DomainError as exc:
            add_refusal(
                form,
                exc,
                {
                    "slug_taken": "slug",
                    "invalid_slug": "slug",
                    "invalid_colour": "colour",
                    "invalid_logo": "logo",
                },
            )
        else:
            messages.success(request, _("店铺设置已保存。"))
            return redirect("console:d:shop")
    return _shop_page(request, status=400, shop_form=form)


@role_required(roles.DISTRIBUTOR)
@require_POST
def coupon_create(request: HttpRequest) -> HttpResponse:
    form = forms.CouponForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            storefront.create_coupon(
                request.principal,
                code=data["code"],
                kind=data["kind"],
                value=data["value"],
                min_amount=data["min_amount"] or 0,
                usage_limit=data["usage_limit"],
                expires_at=form.expires_at(),
            )
        except DomainError as exc:
            add_refusal(form, exc, {"coupon_code_taken": "code", "invalid_coupon_code": "code"})
        else:
            messages.success(request, _("优惠码已创建。"))
            return redirect("console:d:shop")
    return _shop_page(request, status=400, coupon_form=form)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def coupon_disable(request: HttpRequest, pk: int) -> HttpResponse:
    coupon = scope.one(scope.agent_coupons(request.principal), pk=pk)
    if request.method == "GET":  # another's is a 404 above; its own: back
        return redirect("console:d:shop")
    storefront.deactivate_coupon(request.principal, coupon.code)
    messages.success(request, _("优惠码已停用。"))
    return redirect("console:d:shop")


@role_required(roles.DISTRIBUTOR)
@require_POST
def tier_create(request: HttpRequest) -> HttpResponse:
    form = forms.TierForm(request.POST, skus=_skus())
    if form.is_valid():
        data = form.cleaned_data
        try:
            storefront.set_price_tier(
                request.principal,
                data["sku"],
                min_quantity=data["min_quantity"],
                unit_price=data["unit_price"],
            )
        except DomainError as exc:
            add_refusal(form, exc, {"tier_price_out_of_bounds": "unit_price"})
        else:
            messages.success(request, _("阶梯价已保存。"))
            return redirect("console:d:shop")
    return _shop_page(request, status=400, tier_form=form)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def tier_remove(request: HttpRequest, pk: int) -> HttpResponse:
    tier = scope.one(scope.agent_price_tiers(request.principal), pk=pk)
    if request.method == "GET":  # another's is a 404 above; its own: back
        return redirect("console:d:shop")
    storefront.remove_price_tier(request.principal, tier.sku, min_quantity=tier.min_quantity)
    messages.success(request, _("阶梯价已删除。"))
    return redirect("console:d:shop")


@role_required(roles.DISTRIBUTOR)
@require_POST
def pay_link(request: HttpRequest) -> HttpResponse:
    """代客下单: an order in its own shop and the link its buyer pays it by."""
    form = forms.PayLinkForm(request.POST, skus=_skus())
    if form.is_valid():
        data = form.cleaned_data
        try:
            _order, url = storefront.create_pay_link(
                request.principal,
                data["sku"].pk,
                data["quantity"],
                contact=data["contact"],
                recharge_account=data["recharge_account"],
                origin=Origin(channel=CONSOLE, ip=client_ip(request), device_id=device_id(request)),
            )
        except DomainError as exc:
            add_refusal(form, exc)
        else:
            request.session["console_d_pay_url"] = url
            messages.success(request, _("付款链接已生成，发给买家即可付款。"))
            return redirect("console:d:shop")
    return _shop_page(request, status=400, pay_link_form=form)


# --- API keys and webhooks ----------------------------------------------------------------


def _api_page(
    request: HttpRequest, key_form: forms.ApiKeyForm | None = None, status: int = 200
) -> HttpResponse:
    agent: Agent = request.principal
    deliveries = _page(
        request, scope.agent_webhook_deliveries(agent).order_by("-pk"), per_page=PER_PAGE
    )
    context = {
        "keys": scope.agent_keys(agent).order_by("-pk"),
        "key_form": key_form or forms.ApiKeyForm(),
        "new_key": request.session.pop(SESSION_NEW_KEY, None),
        "page_obj": deliveries,
        "deliveries": [(d, *DELIVERY_STATES.get(d.state, (d.state, "closed"))) for d in deliveries],
    }
    return render(request, "console/distributor/api.html", context, status=status)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET"])
def api(request: HttpRequest) -> HttpResponse:
    """API keys (a new key's secret shown once, on the next page only) and the webhook
    delivery log with re-send."""
    return _api_page(request)


@role_required(roles.DISTRIBUTOR)
@require_POST
def api_key_create(request: HttpRequest) -> HttpResponse:
    form = forms.ApiKeyForm(request.POST)
    if form.is_valid():
        try:
            issued = credentials.create_api_key(request.principal, label=form.cleaned_data["label"])
        except DomainError as exc:
            add_refusal(form, exc)
        else:
            # Shown by the next page once, then gone from the session: a reload shows
            # nothing, and the platform never shows the secret again.
            request.session[SESSION_NEW_KEY] = {
                "app_key": issued.key.app_key,
                "secret": issued.secret,
            }
            return redirect("console:d:api")
    return _api_page(request, key_form=form, status=400)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET", "POST"])
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = scope.one(scope.agent_keys(request.principal), pk=pk)
    if request.method == "GET":  # another's is a 404 above; its own: back
        return redirect("console:d:api")
    credentials.revoke_api_key(request.principal, key.app_key)
    messages.success(request, _("API 密钥已吊销，之后用它签名的请求都会被拒绝。"))
    return redirect("console:d:api")


# --- money --------------------------------------------------------------------------------


def _money_page(request: HttpRequest, status: int = 200, **bound) -> HttpResponse:
    agent: Agent = request.principal
    period = forms.PeriodForm(request.GET or None)
    start, end = period.period()
    if not period.is_bound:  # show the dates the statement covers
        period = forms.PeriodForm(initial={"start": start, "end": end})
    statement_error = ""
    try:
        statement = wallet_statement(agent, start=start, end=end)
    except DomainError as exc:
        statement_error = refusal_text(exc)
        statement = wallet_statement(agent, start=end, end=end)
    lines = list(reversed(statement.lines))  # newest first
    page_obj = _page(request, lines)
    context = {
        "balance": agent.wallet.balance,
        "period": period,
        "start": start,
        "end": end,
        "statement": statement,
        "statement_error": statement_error,
        "page_obj": page_obj,
        "kinds": JOURNAL_KINDS,
        "top_up_form": bound.get("top_up_form") or forms.TopUpForm(),
        "withdrawal_form": bound.get("withdrawal_form") or forms.WithdrawalForm(),
        "top_ups": [
            (r, *REQUEST_STATES["top_up"][r.status])
            for r in scope.agent_top_up_requests(agent).order_by("-pk")[:10]
        ],
        "withdrawals": [
            (r, *REQUEST_STATES["withdrawal"][r.status])
            for r in scope.agent_withdrawal_requests(agent).order_by("-pk")[:10]
        ],
    }
    return render(request, "console/distributor/money.html", context, status=status)


@role_required(roles.DISTRIBUTOR)
@require_http_methods(["GET"])
def money(request: HttpRequest) -> HttpResponse:
    """The prepaid account's statement, top-up and withdrawal requests."""
    return _money_page(request)


@role_required(roles.DISTRIBUTOR)
@require_POST
def top_up(request: HttpRequest) -> HttpResponse:
    form = forms.TopUpForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            requests.request_top_up(
                request.principal, data["amount"], data["reference"], data["note"]
            )
        except DomainError as exc:
            add_refusal(
                form, exc, {"invalid_amount": "amount", "topup_reference_used": "reference"}
            )
        else:
            messages.success(request, _("充值申请已提交，平台核对到账后会入账。"))
            return redirect("console:d:money")
    return _money_page(request, status=400, top_up_form=form)


@role_required(roles.DISTRIBUTOR)
@require_POST
def withdraw(request: HttpRequest) -> HttpResponse:
    form = forms.WithdrawalForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            requests.request_withdrawal(request.principal, data["amount"], data["payee"])
        except DomainError as exc:
            add_refusal(form, exc, {"invalid_amount": "amount", "insufficient_balance": "amount"})
        else:
            messages.success(request, _("提现申请已提交，金额已冻结，等待平台付款。"))
            return redirect("console:d:money")
    return _money_page(request, status=400, withdrawal_form=form)

"""The operator's console (/console/o/), beside the Django admin: request.principal is
the staff user. The dashboard, the review queues (supplier applications, disputes,
top-up and withdrawal requests, risk review), the agent tree, suppliers, the ledger and
payments needing attention, the upstream Kameng sites docked here (货源对接); its own
second factor (TOTP) is set up here.

Views only translate HTTP: a decision is a POST that calls the service with the
operator (the services record who decided), then redirects with a message. A decision
already taken is said so and changes nothing; a service's refusal is shown on the form
(status 400)."""

import json
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from kameng.agents import requests as money_requests
from kameng.agents.models import Agent, TopUpRequest, WithdrawalRequest
from kameng.console import charts, otp, roles
from kameng.console.access import role_required
from kameng.console.forms import CodeForm
from kameng.console.operator import queries
from kameng.console.operator.forms import (
    ApplicationDecisionForm,
    ConfirmPaymentForm,
    ConnectForm,
    ConnectionSettingsForm,
    DisputeDecisionForm,
    RejectForm,
    RiskDecisionForm,
    RuleFormSet,
    ScenarioForm,
    SearchForm,
    TopUpDecisionForm,
    WithdrawalPayForm,
)
from kameng.console.scope import one
from kameng.docking import queries as docking_queries
from kameng.docking import services as docking
from kameng.docking.errors import UpstreamUnreachable
from kameng.errors import DomainError
from kameng.ledger import services as ledger
from kameng.ledger.models import Account, Entry, Journal
from kameng.money import ZERO
from kameng.orders import services as orders
from kameng.orders.models import OrderEvent
from kameng.orders.states import Status
from kameng.payments import services as payments
from kameng.payments.models import GatewayEvent, Payment, Refund
from kameng.payments.states import PaymentStatus, RefundStatus
from kameng.refusals import add_refusal, refusal_status, refusal_text
from kameng.reporting.dashboards import operator_queues, platform_dashboard, supplier_dashboard
from kameng.reporting.dashboards import supplier_quality as quality_of_suppliers
from kameng.risk import services as risk
from kameng.risk.models import Scenario
from kameng.risk.rules import KINDS, RuleSpec
from kameng.suppliers import onboarding
from kameng.suppliers.models import (
    Supplier,
    SupplierAccount,
    SupplierApplication,
    SupplierReview,
)
from kameng.templatetags.kameng import status_label

PER_PAGE = 25
operator_page = role_required(roles.OPERATOR)


def _page(request: HttpRequest, rows: QuerySet | list) -> Page:
    """Page `?page=` of rows (a bad or too large number gives the first or last page,
    never an error)."""
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


# --- home ------------------------------------------------------------------------------


@operator_page
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    """The platform's dashboard: GMV, revenue, escrow, orders by status, the daily
    series, and what waits in the queues."""
    dashboard = platform_dashboard()
    days = [day.day for day in dashboard.daily]
    context = {
        "otp_on": otp.confirmed_device(request.user) is not None,
        "dash": dashboard,
        "queues": operator_queues(),
        "gmv_chart": charts.line(
            days,
            [
                (_("交易额"), [day.gmv.amount for day in dashboard.daily]),
                (_("平台收入"), [day.revenue for day in dashboard.daily]),
            ],
        ),
        "status_chart": charts.pie(
            [(status_label(s), n) for s, n in dashboard.orders_by_status.items() if n]
        ),
    }
    return render(request, "console/operator/home.html", context)


# --- queues ----------------------------------------------------------------------------

TABS = {
    "applications": _("入驻申请"),
    "disputes": _("投诉与售后"),
    "topups": _("充值申请"),
    "withdrawals": _("提现申请"),
    "risk": _("风控审核"),
}


def _tabs(current: str) -> list[dict[str, Any]]:
    counts = operator_queues()
    waiting = {
        "applications": counts.applications,
        "disputes": counts.disputes,
        "topups": counts.top_up_requests,
        "withdrawals": counts.withdrawal_requests,
        "risk": counts.risk_reviews,
    }
    return [
        {
            "key": key,
            "label": label,
            "count": waiting[key],
            "url": reverse("console:o:queue", args=[key]),
            "current": key == current,
        }
        for key, label in TABS.items()
    ]


@operator_page
@require_http_methods(["GET"])
def queues(request: HttpRequest, tab: str = "applications") -> HttpResponse:
    """One review queue per tab, oldest waiting first (first come, first decided)."""
    if tab not in TABS:
        raise Http404(f"no queue {tab!r}")
    rows: QuerySet | list
    if tab == "applications":
        rows = onboarding.pending_applications()
    elif tab == "disputes":
        rows = queries.disputed_orders()
    elif tab == "topups":
        rows = money_requests.top_up_requests(status=TopUpRequest.Status.SUBMITTED).order_by("pk")
    elif tab == "withdrawals":
        rows = money_requests.withdrawal_requests(
            status=WithdrawalRequest.Status.SUBMITTED
        ).order_by("pk")
    else:
        rows = queries.held_orders()
    page = _page(request, rows)
    if tab == "risk":
        queries.with_assessments(page.object_list)
    context = {
        "tab": tab,
        "tab_label": TABS[tab],
        "tabs": _tabs(tab),
        "page_obj": page,
    }
    return render(request, "console/operator/queues.html", context)


def _decided(request: HttpRequest, what: str, back: str) -> HttpResponse:
    """A decision already taken (a second click, another operator first): say so,
    change nothing."""
    messages.info(request, gettext("%(what)s已经处理过，本次没有做任何改动。") % {"what": what})
    return redirect(back)


def _decide(
    request: HttpRequest, form: Any, act: Callable[[], object], done: str, back: str
) -> HttpResponse | int:
    """Call the service: done → the message and the redirect to `back`; refused → the
    refusal on the form and the page's status (the caller re-renders the form)."""
    try:
        act()
    except DomainError as exc:
        add_refusal(form, exc)
        return refusal_status(exc)
    messages.success(request, done)
    return redirect(back)


@operator_page
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, pk: int) -> HttpResponse:
    """A supplier's application: the company, its licence, goods and documents; approve
    (creates the supplier) or reject with a reason."""
    app = one(
        SupplierApplication.objects.select_related("supplier", "applicant").prefetch_related(
            "goods", "documents"
        ),
        pk=pk,
    )
    form = ApplicationDecisionForm(request.POST or None)
    here = reverse("console:o:application", args=[app.pk])
    status = 200
    if request.method == "POST":
        if app.status != SupplierApplication.Status.SUBMITTED:
            return _decided(request, gettext("这份申请"), here)
        status = 400
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            company = {"company": app.company_name}
            if form.cleaned_data["action"] == "approve":
                outcome = _decide(
                    request,
                    form,
                    lambda: onboarding.approve_application(
                        app, operator=request.user, reason=reason
                    ),
                    gettext("已通过 %(company)s 的入驻申请，供应商已创建。") % company,
                    here,
                )
            else:
                outcome = _decide(
                    request,
                    form,
                    lambda: onboarding.reject_application(
                        app, operator=request.user, reason=reason
                    ),
                    gettext("已驳回 %(company)s 的入驻申请。") % company,
                    here,
                )
            if isinstance(outcome, HttpResponse):
                return outcome
            status = outcome
    context = {
        "app": app,
        "form": form,
        "goods": sorted(app.goods.all(), key=lambda p: p.pk),
        "documents": sorted(app.documents.all(), key=lambda d: d.pk),
        "reviews": SupplierReview.objects.filter(application=app)
        .select_related("decided_by")
        .order_by("-at", "-pk"),
    }
    return render(request, "console/operator/application.html", context, status=status)


@operator_page
@require_http_methods(["GET", "POST"])
def dispute(request: HttpRequest, order_no: str) -> HttpResponse:
    """An order in dispute: the complaint and the order's history; uphold it (refund
    the payer) or reject it (the sale stands, escrow is released)."""
    order = one(queries.orders_for_operator(), order_no=order_no)
    form = DisputeDecisionForm(request.POST or None)
    here = reverse("console:o:dispute", args=[order.order_no])
    status = 200
    if request.method == "POST":
        if order.status != Status.DISPUTED:
            return _decided(request, gettext("这条投诉"), here)
        status = 400
        if form.is_valid():
            upheld = form.cleaned_data["action"] == "refund"
            note = form.cleaned_data["note"]
            done = (
                gettext("已支持投诉：订单 %(order)s 已退款。")
                if upheld
                else gettext("已驳回投诉：订单 %(order)s 交易成立，款项已结算。")
            )
            outcome = _decide(
                request,
                form,
                lambda: orders.resolve_dispute(
                    order, upheld=upheld, note=note, operator=request.user.get_username()
                ),
                done % {"order": order.order_no},
                here,
            )
            if isinstance(outcome, HttpResponse):
                return outcome
            status = outcome
    context = {
        "order": order,
        "form": form,
        "events": OrderEvent.objects.filter(order=order).order_by("at", "pk"),
    }
    return render(request, "console/operator/dispute.html", context, status=status)


@operator_page
@require_http_methods(["GET", "POST"])
def risk_order(request: HttpRequest, order_no: str) -> HttpResponse:
    """An order risk control held: every reason that fired, where it came from, the
    order and its history; approve it (delivered as an allowed order would have been)
    or reject it (refunded to its payer), either kept as a label for training."""
    order = one(queries.orders_for_operator(), order_no=order_no)
    queries.with_assessments([order])
    if order.assessment is None and order.status != Status.REVIEW:
        raise Http404(f"order {order_no} was not scored by risk control")
    form = RiskDecisionForm(request.POST or None)
    here = reverse("console:o:risk_order", args=[order.order_no])
    status = 200
    if request.method == "POST":
        if order.status != Status.REVIEW:
            return _decided(request, gettext("这笔风控审核"), here)
        status = 400
        if form.is_valid():
            by = request.user.get_username()
            reason = form.cleaned_data["reason"]
            if form.cleaned_data["action"] == "approve":
                act: Callable[[], object] = lambda: orders.approve_review(  # noqa: E731
                    order, by=by, note=reason
                )
                done = gettext("已通过：订单 %(order)s 按正常流程发货。")
            else:
                act = lambda: orders.reject_review(order, by=by, reason=reason)  # noqa: E731
                done = gettext("已拒绝：订单 %(order)s 已退款给付款方。")
            outcome = _decide(request, form, act, done % {"order": order.order_no}, here)
            if isinstance(outcome, HttpResponse):
                return outcome
            status = outcome
    context = {
        "order": order,
        "assessment": order.assessment,
        "form": form,
        "events": OrderEvent.objects.filter(order=order).order_by("at", "pk"),
    }
    return render(request, "console/operator/risk_order.html", context, status=status)


def _risk_tabs(current: str) -> list[dict[str, Any]]:
    return [
        {
            "label": label,
            "url": reverse(f"console:o:{name}"),
            "current": name == current,
        }
        for name, label in (
            ("risk_rules", _("风控规则")),
            ("risk_blocked", _("拦截记录")),
        )
    ]


def _rule_initial(scenario: Scenario) -> list[dict[str, Any]]:
    return [
        {
            "code": rule.code,
            "kind": rule.kind,
            "params": json.dumps(rule.params, ensure_ascii=False),
            "weight": rule.weight,
            "action": rule.action,
            "active": rule.active,
            "label": rule.label,
        }
        for rule in scenario.rules.all()
    ]


@operator_page
@require_http_methods(["GET", "POST"])
def risk_rules(request: HttpRequest) -> HttpResponse:
    """The active rules and thresholds, editable: saving publishes a NEW version (the
    next order is scored by it; past versions are kept and listed, each assessment names
    the version that decided it)."""
    scenario = risk.current_scenario()
    status = 200
    if request.method == "POST":
        form = ScenarioForm(request.POST)
        rules = RuleFormSet(request.POST, prefix="rules")
        status = 400
        if form.is_valid() and rules.is_valid():
            specs = [
                RuleSpec(
                    code=row["code"],
                    kind=row["kind"],
                    params=row["params"],
                    weight=row["weight"],
                    action=row["action"],
                    active=row["active"],
                    label=row["label"],
                )
                for row in rules.cleaned_data
                if row and row.get("code") and not row.get("remove")
            ]
            try:
                published = risk.publish_scenario(
                    review_threshold=form.cleaned_data["review_threshold"],
                    block_threshold=form.cleaned_data["block_threshold"],
                    rules=specs,
                    by=request.user.get_username(),
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                add_refusal(form, exc)
                form.add_error(None, exc.message)  # which rule and field, as risk says it
            else:
                messages.success(
                    request,
                    gettext("已发布风控规则 v%(version)s，之后的订单按新版本评分。")
                    % {"version": published.version},
                )
                return redirect("console:o:risk_rules")
    else:
        form = ScenarioForm(
            initial={
                "review_threshold": scenario.review_threshold,
                "block_threshold": scenario.block_threshold,
            }
        )
        rules = RuleFormSet(initial=_rule_initial(scenario), prefix="rules")
    context = {
        "scenario": scenario,
        "form": form,
        "rules": rules,
        "kinds": [
            {
                "name": kind.name,
                "label": kind.label,
                "params": [p.name for p in kind.params],
            }
            for kind in KINDS.values()
        ],
        "versions": _page(request, Scenario.objects.order_by("-version")),
        "tabs": _risk_tabs("risk_rules"),
    }
    return render(request, "console/operator/risk_rules.html", context, status=status)


@operator_page
@require_http_methods(["GET"])
def risk_blocked(request: HttpRequest) -> HttpResponse:
    """Orders risk control refused: no order was made and no money moved (read-only)."""
    page = _page(request, queries.blocked_attempts())
    sellers = dict(
        Agent.objects.filter(pk__in={row.seller_id for row in page.object_list}).values_list(
            "pk", "user__username"
        )
    )
    for row in page.object_list:
        row.seller_name = sellers.get(row.seller_id, f"#{row.seller_id}")
    context = {"page_obj": page, "tabs": _risk_tabs("risk_blocked")}
    return render(request, "console/operator/risk_blocked.html", context)


@operator_page
@require_http_methods(["GET", "POST"])
def topup_request(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent's top-up request (money it says it transferred): approve to credit its
    wallet, or reject with a reason."""
    item = one(
        TopUpRequest.objects.select_related("agent__user", "agent__wallet", "decided_by"), pk=pk
    )
    form = TopUpDecisionForm(request.POST or None)
    here = reverse("console:o:topup", args=[item.pk])
    status = 200
    if request.method == "POST":
        if item.status != TopUpRequest.Status.SUBMITTED:
            return _decided(request, gettext("这条充值申请"), here)
        status = 400
        if form.is_valid():
            who = {"agent": item.agent.user.get_username()}
            if form.cleaned_data["action"] == "approve":
                outcome = _decide(
                    request,
                    form,
                    lambda: money_requests.approve_top_up(item, request.user),
                    gettext("已确认到账：%(agent)s 的预存款已增加。") % who,
                    here,
                )
            else:
                reason = form.cleaned_data["reason"]
                outcome = _decide(
                    request,
                    form,
                    lambda: money_requests.reject_top_up(item, request.user, reason),
                    gettext("已驳回 %(agent)s 的充值申请。") % who,
                    here,
                )
            if isinstance(outcome, HttpResponse):
                return outcome
            status = outcome
    context = {"item": item, "form": form}
    return render(request, "console/operator/topup.html", context, status=status)


@operator_page
@require_http_methods(["GET", "POST"])
def withdrawal_request(request: HttpRequest, pk: int) -> HttpResponse:
    """An agent's withdrawal request (the amount is already held off its wallet): pay it
    with the transfer's reference, or reject it (the amount goes back) with a reason.
    POST `action`: pay | reject."""
    item = one(
        WithdrawalRequest.objects.select_related("agent__user", "agent__wallet", "decided_by"),
        pk=pk,
    )
    action = request.POST.get("action", "") if request.method == "POST" else ""
    pay_form = WithdrawalPayForm(request.POST if action == "pay" else None)
    reject_form = RejectForm(request.POST if action == "reject" else None)
    here = reverse("console:o:withdrawal", args=[item.pk])
    who = item.agent.user.get_username()
    status = 200
    if request.method == "POST":
        if item.status != WithdrawalRequest.Status.SUBMITTED:
            return _decided(request, gettext("这条提现申请"), here)
        status = 400
        outcome: HttpResponse | int = status
        if action == "pay" and pay_form.is_valid():
            reference = pay_form.cleaned_data["payout_reference"]
            outcome = _decide(
                request,
                pay_form,
                lambda: money_requests.pay_withdrawal(item, request.user, reference),
                gettext("已记录向 %(agent)s 的付款（流水号 %(reference)s）。")
                % {"agent": who, "reference": reference},
                here,
            )
        elif action == "reject" and reject_form.is_valid():
            reason = reject_form.cleaned_data["reason"]
            outcome = _decide(
                request,
                reject_form,
                lambda: money_requests.reject_withdrawal(item, request.user, reason),
                gettext("已驳回 %(agent)s 的提现申请，金额已退回其预存款。") % {"agent": who},
                here,
            )
        elif action not in ("pay", "reject"):
            messages.error(request, gettext("请选择付款或驳回"))
        if isinstance(outcome, HttpResponse):
            return outcome
        status = outcome
    context = {"item": item, "pay_form": pay_form, "reject_form": reject_form}
    return render(request, "console/operator/withdrawal.html", context, status=status)


# --- agents ----------------------------------------------------------------------------


@operator_page
@require_http_methods(["GET"])
def agents(request: HttpRequest) -> HttpResponse:
    """The agent tree from the top: top-level agents (or those whose name matches
    `q`), each opening onto the agents below it; the levels."""
    search = SearchForm(request.GET or None)
    text = search.cleaned_data["q"].strip() if search.is_valid() else ""
    rows = (
        Agent.objects.filter(parent__isnull=True)
        if not text
        else Agent.objects.filter(user__username__icontains=text)
    )
    context = {
        "search": search,
        "q": text,
        "page_obj": _page(request, queries.agent_rows(rows).order_by("pk")),
        "levels": queries.levels_with_counts(),
    }
    return render(request, "console/operator/agents.html", context)


@operator_page
@require_http_methods(["GET"])
def agent(request: HttpRequest, pk: int) -> HttpResponse:
    """One agent: its place in the tree (breadcrumbs), figures, and the agents directly
    below it."""
    found = one(queries.agent_rows(Agent.objects.all()), pk=pk)
    children = queries.agent_rows(Agent.objects.filter(parent_id=found.pk)).order_by("pk")
    context = {
        "agent": found,
        "ancestors": queries.ancestors(found),
        "page_obj": _page(request, children),
    }
    return render(request, "console/operator/agent.html", context)


# --- suppliers -------------------------------------------------------------------------

SUPPLIER_FILTERS = {
    "": _("全部"),
    "approved": _("已通过"),
    "pending": _("待审核"),
    "suspended": _("已暂停"),
    "rejected": _("已驳回"),
}


@operator_page
@require_http_methods(["GET"])
def suppliers(request: HttpRequest) -> HttpResponse:
    """Every supplier with its quality (complaint rate, top-up success rate), status and
    cards on sale."""
    status = request.GET.get("status", "")
    if status not in SUPPLIER_FILTERS:
        status = ""
    rows = quality_of_suppliers()
    if status:
        rows = [row for row in rows if row.status == status]
    stock = queries.available_cards_by_supplier()
    page = _page(request, rows)
    context = {
        "page_obj": page,
        "rows": [(row, stock.get(row.supplier_id, 0)) for row in page.object_list],
        "filters": [
            {"key": key, "label": label, "current": key == status}
            for key, label in SUPPLIER_FILTERS.items()
        ],
        "status": status,
    }
    return render(request, "console/operator/suppliers.html", context)


@operator_page
@require_http_methods(["GET"])
def supplier(request: HttpRequest, pk: int) -> HttpResponse:
    """One supplier: what it sold and is owed, stock per SKU, quality, its people and
    the decisions taken about it."""
    found = one(Supplier.objects.all(), pk=pk)
    quality = next((q for q in quality_of_suppliers() if q.supplier_id == found.pk), None)
    context = {
        "supplier": found,
        "dash": supplier_dashboard(found),
        "quality": quality,
        "people": SupplierAccount.objects.filter(supplier=found).select_related("user"),
        "reviews": SupplierReview.objects.filter(supplier=found)
        .select_related("decided_by")
        .order_by("-at", "-pk")[:20],
        "application": SupplierApplication.objects.filter(supplier=found).first(),
    }
    return render(request, "console/operator/supplier.html", context)


# --- docking ---------------------------------------------------------------------------


def _sync_done(report: docking.SyncReport) -> str:
    return gettext(
        "已同步 %(name)s：新增 %(added)s 个，更新 %(updated)s 个，重新上架 %(relisted)s 个，"
        "下架 %(delisted)s 个，低于成本停售 %(below)s 个。"
    ) % {
        "name": report.connection,
        "added": len(report.added),
        "updated": len(report.updated),
        "relisted": len(report.relisted),
        "delisted": len(report.delisted),
        "below": len(report.below_cost),
    }


@operator_page
@sensitive_post_parameters("secret")
@require_http_methods(["GET", "POST"])
def docking_index(request: HttpRequest) -> HttpResponse:
    """货源对接: the upstream Kameng sites this one resells (price rule, what is mirrored,
    the last sync and its error, each with 立即同步), the open reconciliation
    discrepancies, and 接入上游站点 (POST: the key is tried on the upstream first)."""
    form = ConnectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                connection = docking.connect(
                    data["name"],
                    url=data["url"],
                    app_key=data["app_key"],
                    secret=data["secret"],
                    markup_percent=data["markup_percent"],
                    markup_fixed=data["markup_fixed"],
                    rounding=data["rounding"],
                    auto_price=data["auto_price"],
                )
            except DomainError as exc:
                add_refusal(form, exc)
                if isinstance(exc, UpstreamUnreachable):
                    form.add_error(None, exc.message)  # refused, timed out, a bad key
                status = refusal_status(exc)
            else:
                messages.success(
                    request,
                    gettext("已接入 %(name)s。点击「立即同步」上架它的商品。")
                    % {"name": connection.supplier.name},
                )
                return redirect("console:o:docking")
    discrepancies = docking_queries.open_discrepancies()
    for row in discrepancies:
        row["found_at"] = parse_datetime(row["found_at"])
    context = {
        "connections": list(docking_queries.connection_rows()),
        "discrepancies": discrepancies,
        "form": form,
    }
    return render(request, "console/operator/docking.html", context, status=status)


@operator_page
@require_http_methods(["GET", "POST"])
def docking_connection(request: HttpRequest, pk: int) -> HttpResponse:
    """One docked site: its price rule and exclusions (POST: saved, applied by the next
    sync), its mirrored SKUs with what they cost and what our top level pays, 立即同步
    and 对账."""
    connection = one(docking_queries.connection_rows(), pk=pk)
    form = ConnectionSettingsForm(
        request.POST or None,
        initial={
            "markup_percent": connection.markup_percent,
            "markup_fixed": connection.markup_fixed,
            "rounding": connection.rounding,
            "auto_price": connection.auto_price,
            "excluded": " ".join(str(remote) for remote in connection.excluded),
        },
    )
    here = reverse("console:o:docking_connection", args=[connection.pk])
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            outcome = _decide(
                request,
                form,
                lambda: docking.configure(connection, **form.cleaned_data),
                gettext("已保存 %(name)s 的设置，下次同步时生效。")
                % {"name": connection.supplier.name},
                here,
            )
            if isinstance(outcome, HttpResponse):
                return outcome
            status = outcome
    page = _page(request, docking_queries.mirrored_skus(connection))
    docking_queries.with_top_prices(page.object_list)
    context = {"connection": connection, "form": form, "page_obj": page}
    return render(request, "console/operator/docking_connection.html", context, status=status)


def _docking_back(request: HttpRequest, connection_pk: int) -> str:
    """Where a button sends the operator back: the site's page or the list."""
    if request.POST.get("back") == "connection":
        return reverse("console:o:docking_connection", args=[connection_pk])
    return reverse("console:o:docking")


@operator_page
@require_http_methods(["POST"])
def docking_sync(request: HttpRequest, pk: int) -> HttpResponse:
    """立即同步: mirror the upstream's products now (as the beat task does). An upstream
    that does not answer changes nothing; its error is kept on the connection."""
    connection = one(docking_queries.connection_rows(), pk=pk)
    try:
        report = docking.sync(connection)
    except DomainError as exc:
        messages.error(
            request,
            gettext("同步 %(name)s 失败：%(reason)s（%(detail)s）")
            % {
                "name": connection.supplier.name,
                "reason": refusal_text(exc),
                "detail": exc.message,
            },
        )
    else:
        messages.success(request, _sync_done(report))
    return redirect(_docking_back(request, connection.pk))


@operator_page
@require_http_methods(["POST"])
def docking_reconcile(request: HttpRequest, pk: int) -> HttpResponse:
    """对账: ask the upstream about every order forwarded to it in the last 48 hours;
    each disagreement is kept as a discrepancy (listed on the docking page)."""
    connection = one(docking_queries.connection_rows(), pk=pk)
    try:
        report = docking.reconcile(connection)
    except DomainError as exc:
        messages.error(
            request,
            gettext("对账 %(name)s 失败：%(reason)s")
            % {"name": connection.supplier.name, "reason": refusal_text(exc)},
        )
        return redirect(_docking_back(request, connection.pk))
    found = {
        "name": report.connection,
        "checked": report.checked,
        "mismatches": len(report.mismatches),
        "unreachable": report.unreachable,
    }
    text = (
        gettext(
            "已对账 %(name)s：核对 %(checked)s 笔，不一致 %(mismatches)s 笔，"
            "无法查询 %(unreachable)s 笔。"
        )
        % found
    )
    if report.mismatches or report.unreachable:
        messages.warning(request, text)
    else:
        messages.success(request, text)
    return redirect(_docking_back(request, connection.pk))


# --- ledger ----------------------------------------------------------------------------


def _ledger(request: HttpRequest, problems: list[str] | None = None) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in Account.Kind.values:
        kind = ""
    search = SearchForm(request.GET or None)
    text = search.cleaned_data["q"].strip() if search.is_valid() else ""
    context = {
        "page_obj": _page(request, queries.accounts(kind, text)),
        "kinds": [{"key": "", "current": not kind}]
        + [{"key": k, "current": k == kind} for k in Account.Kind.values],
        "kind": kind,
        "q": text,
        "verified": problems is not None,
        "problems": problems or [],
    }
    if problems is not None:
        context["summary"] = {
            "journals": Journal.objects.count(),
            "accounts": Account.objects.count(),
            "total": ledger.total_of_all_balances(),
        }
    return render(request, "console/operator/ledger.html", context)


@operator_page
@require_http_methods(["GET"])
def ledger_index(request: HttpRequest) -> HttpResponse:
    """Every account with its balance (by kind, or searched by code or name)."""
    return _ledger(request)


@operator_page
@require_http_methods(["POST"])
def ledger_verify(request: HttpRequest) -> HttpResponse:
    """The `verify-ledger` check, from a button: every journal balances, every cached
    balance equals its entries, nothing negative that may not be. Reads only."""
    return _ledger(request, ledger.verify())


@operator_page
@require_http_methods(["GET"])
def account(request: HttpRequest, pk: int) -> HttpResponse:
    """One account's journal lines, newest first."""
    found = one(Account.objects.all(), pk=pk)
    lines = (
        Entry.objects.filter(account_id=found.pk)
        .select_related("journal")
        .order_by("-journal__created_at", "-pk")
    )
    holder = Agent.objects.filter(wallet_id=found.pk).select_related("user").first()
    owed_to = Supplier.objects.filter(payable_id=found.pk).first()
    context = {
        "account": found,
        "page_obj": _page(request, lines),
        "holder": holder,
        "owed_to": owed_to,
    }
    return render(request, "console/operator/account.html", context)


@operator_page
@require_http_methods(["GET"])
def journal(request: HttpRequest, pk: int) -> HttpResponse:
    """One journal and its entries (they sum to zero)."""
    found = one(Journal.objects.all(), pk=pk)
    entries = list(Entry.objects.filter(journal=found).select_related("account").order_by("pk"))
    total = sum((e.amount for e in entries), ZERO)
    context = {"journal": found, "entries": entries, "total": total}
    return render(request, "console/operator/journal.html", context)


# --- payments --------------------------------------------------------------------------

PAYMENT_TABS = {
    "unpaid": _("超时未支付"),
    "failed": _("退款失败"),
    "refunding": _("退款中"),
}


@operator_page
@require_http_methods(["GET"])
def payments_index(request: HttpRequest) -> HttpResponse:
    """What needs the operator: payments still unpaid after their window (the buyer may
    have paid unseen), refunds the gateway refused or never answered, refunds under
    way; or the payments found by order or trade number."""
    search = SearchForm(request.GET or None)
    text = search.cleaned_data["q"].strip() if search.is_valid() else ""
    tab = request.GET.get("tab", "unpaid")
    if tab not in PAYMENT_TABS:
        tab = "unpaid"
    rows: QuerySet
    if text:
        rows = queries.search_payments(text)
    elif tab == "unpaid":
        rows = queries.unpaid_after_window(timezone.now())
    elif tab == "failed":
        rows = queries.refunds_with(RefundStatus.FAILED)
    else:
        rows = queries.refunds_with(RefundStatus.PENDING)
    context = {
        "search": search,
        "q": text,
        "tab": tab,
        "tabs": [
            {"key": key, "label": label, "current": key == tab and not text}
            for key, label in PAYMENT_TABS.items()
        ],
        "page_obj": _page(request, rows),
        "is_refunds": not text and tab in ("failed", "refunding"),
    }
    return render(request, "console/operator/payments.html", context)


@operator_page
@require_http_methods(["GET", "POST"])
def payment(request: HttpRequest, order_no: str) -> HttpResponse:
    """One storefront payment: its order, the gateway's records and refunds; 确认收款
    (the same as the `confirm-payment` command and the admin's action) while unpaid."""
    found = one(
        Payment.objects.select_related("order__sku__product", "order__agent__user", "confirmed_by"),
        order__order_no=order_no,
    )
    form = ConfirmPaymentForm(request.POST or None)
    here = reverse("console:o:payment", args=[found.order.order_no])
    status = 200
    if request.method == "POST":
        if found.status != PaymentStatus.PENDING:
            return _decided(request, gettext("这笔支付"), here)
        status = 400
        if form.is_valid():
            outcome = _decide(
                request,
                form,
                lambda: payments.confirm_payment(
                    found.order.order_no,
                    trade_no=form.cleaned_data["trade_no"],
                    operator=request.user,
                    reason=form.cleaned_data["reason"],
                ),
                gettext("订单 %(order)s 已确认收款。") % {"order": found.order.order_no},
                here,
            )
            if isinstance(outcome, HttpResponse):
                return outcome
            status = outcome
    context = {
        "payment": found,
        "order": found.order,
        "form": form,
        "refunds": Refund.objects.filter(payment=found).order_by("-pk"),
        "events": GatewayEvent.objects.filter(payment=found).order_by("-at", "-pk")[:50],
    }
    return render(request, "console/operator/payment.html", context, status=status)


@operator_page
@require_http_methods(["POST"])
def refund_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a failed refund again (after the gateway's settings or balance were fixed);
    recorded with the operator."""
    refund = one(Refund.objects.select_related("payment__order"), pk=pk)
    back = reverse("console:o:payment", args=[refund.payment.order.order_no])
    if refund.status != RefundStatus.FAILED:
        return _decided(request, gettext("这笔退款"), back)
    try:
        payments.retry_refund(refund, request.user)
    except DomainError as exc:
        messages.error(request, refusal_text(exc))
    else:
        messages.success(request, gettext("退款已重新发送，稍后查看结果。"))
    return redirect(back)


# --- two-step verification ---------------------------------------------------------------


@operator_page
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def otp_settings(request: HttpRequest) -> HttpResponse:
    """Two-step verification: set up (the QR code of a new key, confirmed by a first
    code before it counts), or, once on, turned off with a current code. POST
    `action`: confirm | renew (a new key) | remove."""
    user = request.user
    device = otp.confirmed_device(user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = CodeForm(request.POST or None) if action in ("confirm", "remove") else CodeForm()
    status = 200
    if action == "renew" and device is None:
        otp.unconfirmed_device(user, fresh=True)
        return redirect("console:o:otp")
    if action == "confirm" and device is None:
        if form.is_valid():
            confirmed, why = otp.confirm(request, user, form.cleaned_data["code"])
            if confirmed is not None:
                messages.success(
                    request, gettext("两步验证已启用：以后登录（含 Django 管理后台）都需要验证码")
                )
                return redirect("console:o:otp")
            form.add_error("code", why)
        status = 400
    if action == "remove" and device is not None:
        if form.is_valid():
            checked, why = otp.check_code(request, user, form.cleaned_data["code"])
            if checked is not None:
                otp.remove(user)
                messages.success(request, gettext("两步验证已关闭"))
                return redirect("console:o:otp")
            form.add_error("code", why)
        status = 400
    form.fields["code"].widget.attrs.pop("autofocus", None)  # the QR code first, on a phone
    context = {"device": device, "form": form}
    if device is None:
        setup = otp.unconfirmed_device(user)
        context.update(setup=setup, secret=otp.secret_text(setup))
    return render(request, "console/operator/otp.html", context, status=status)

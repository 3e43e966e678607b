"""The supplier's console (/console/s/): request.principal is its Supplier (or, on
pages marked needs_supplier=False, the person's SupplierAccount, approved or not), and
every object a page shows comes through kameng.console.scope's supplier helpers.

Views only translate HTTP: parse a form, call the service (suppliers.onboarding,
stock.services.import_cards, upstream.services, reporting), then redirect with a
message, or show the form again with what is wrong (status 400). Card secrets never
reach these pages, not even right after an upload.
"""

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kameng import vault
from kameng.catalog.models import Sku
from kameng.console import charts, roles, scope
from kameng.console.access import role_required
from kameng.console.supplier import forms
from kameng.errors import DomainError, InvalidInput
from kameng.ledger.models import Journal
from kameng.orders import services as orders
from kameng.orders.states import Status as OrderStatus
from kameng.refusals import add_refusal, refusal_status, refusal_text
from kameng.reporting import dashboards
from kameng.reporting.statements import statement
from kameng.stock.errors import NoNewCards
from kameng.stock.models import Card
from kameng.stock.services import import_cards
from kameng.suppliers import onboarding
from kameng.suppliers.accounts import latest_decision
from kameng.suppliers.errors import ApplicationExists
from kameng.suppliers.models import Supplier, SupplierAccount, SupplierApplication
from kameng.topup.states import AttemptStatus
from kameng.upstream import services as upstream
from kameng.upstream.errors import ConnectionFailed

PER_PAGE = 25
# A SKU with fewer cards for sale than this is marked 库存不足 (the storefront calls
# 20 or fewer "a few left").
LOW_STOCK = 20
# Line numbers listed per kind on an import report (the rest are counted).
REPORT_LINES = 50
_IMPORT_REPORT = "console_supplier_import_report"
_CONNECTION_TEST = "console_supplier_connection_test"

# Refusals of the services these pages call, marked for translation (the error
# classes keep their titles as plain strings: kameng.refusals).
REFUSAL_TITLES = (
    _("该执照已有待审核或已通过的申请"),
    _("已有待审核的入驻申请"),
    _("该账号已属于一个供应商"),
    _("该用户不是供应商账号"),
    _("输入不符合要求"),
    _("文件里没有可导入的新卡密"),
    _("另一批导入同时写入了相同卡密，请重新导入"),
    _("供应商未获该商品的供货授权"),
    _("连接失败"),
    _("API 对接需要填写 API 地址、商户号和 API 密钥"),
    _("没有这种对接协议"),
    _("操作未完成"),
    _("订单当前状态不允许此操作"),
)

APPLICATION_STATUS_LABELS = {
    SupplierApplication.Status.SUBMITTED: _("待审核"),
    SupplierApplication.Status.APPROVED: _("已通过"),
    SupplierApplication.Status.REJECTED: _("已驳回"),
}
APPLICATION_STATUS_TONES = {"submitted": "wait", "approved": "done", "rejected": "fail"}
CARD_STATUS_LABELS = {
    Card.Status.AVAILABLE: _("可售"),
    Card.Status.RESERVED: _("待支付保留"),
    Card.Status.SOLD: _("已售"),
    Card.Status.INVALID: _("无效"),
}
ATTEMPT_STATUS_LABELS = {
    AttemptStatus.PENDING: _("待提交"),
    AttemptStatus.SUBMITTED: _("处理中"),
    AttemptStatus.UNKNOWN: _("结果未知"),
    AttemptStatus.ESCALATED: _("待人工处理"),
    AttemptStatus.SUCCEEDED: _("成功"),
    AttemptStatus.FAILED: _("失败"),
}
JOURNAL_KIND_LABELS = {
    Journal.Kind.ORDER_SETTLE: _("订单结算"),
    Journal.Kind.SUPPLIER_PAYOUT: _("结算打款"),
    Journal.Kind.ADJUSTMENT: _("调整"),
}
SUPPLIER_STATUS_LABELS = {
    Supplier.Status.PENDING: _("待审核"),
    Supplier.Status.APPROVED: _("已通过"),
    Supplier.Status.REJECTED: _("已驳回"),
    Supplier.Status.SUSPENDED: _("已暂停"),
}


def _page(request: HttpRequest, rows: QuerySet | list) -> Page:
    """25 rows of the list; a page number out of range or not a number shows the
    nearest page (Paginator.get_page), never an error."""
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _get_only() -> HttpResponse:
    """405 for a page of one object that only shows it. Checked after the object is
    found: another principal's id is the 404 whatever the method."""
    return HttpResponseNotAllowed(["GET", "HEAD"])


def _supplier(request: HttpRequest) -> Supplier:
    return request.principal  # type: ignore[attr-defined, no-any-return]


# --- home ---------------------------------------------------------------------------


@role_required(roles.SUPPLIER, needs_supplier=False)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard once approved (reporting.dashboards.supplier_dashboard); before,
    where the application stands and what to do next."""
    account: SupplierAccount = request.principal  # type: ignore[attr-defined]
    supplier = account.supplier
    context: dict[str, Any] = {"account": account, "supplier": supplier}
    if supplier is None:
        context.update(_application_context(_latest_application(account)))
        return render(request, "console/supplier/home.html", context)
    board = dashboards.supplier_dashboard(supplier)
    context.update(
        board=board,
        stock=[(row, row.available < LOW_STOCK) for row in board.stock],
        low_stock=LOW_STOCK,
        status_label=SUPPLIER_STATUS_LABELS.get(supplier.status, supplier.status),
        sales_chart=charts.line(
            [day.day for day in board.daily],
            [(gettext("结算金额"), [day.settled.amount for day in board.daily])],
        ),
        batches=scope.supplier_batches(supplier).order_by("-pk")[:5],
        open_complaints=scope.supplier_complaints(supplier)
        .filter(status=OrderStatus.DISPUTED)
        .count(),
    )
    return render(request, "console/supplier/home.html", context)


# --- application (资质审核) -----------------------------------------------------------


def _latest_application(account: SupplierAccount) -> SupplierApplication | None:
    """The person's latest application: its own, else the one its account is linked
    to (made for it by the operator: shown, not editable here)."""
    latest = scope.account_applications(account).order_by("-pk").first()
    if latest is None and account.application_id is not None:
        latest = SupplierApplication.objects.filter(pk=account.application_id).first()
    return latest


def _application_context(application: SupplierApplication | None) -> dict[str, Any]:
    """Where the application stands: its status, the decision and its reason."""
    if application is None:
        return {"application": None, "decision": None}
    return {
        "application": application,
        "application_status": APPLICATION_STATUS_LABELS.get(application.status, application.status),
        "application_tone": APPLICATION_STATUS_TONES.get(application.status, "closed"),
        "decision": latest_decision(application),
    }


def _initial_from(application: SupplierApplication | None) -> dict[str, Any]:
    """A rejected application's answers, so a resubmission only fixes what was wrong."""
    if application is None:
        return {}
    return {
        "company_name": application.company_name,
        "licence_number": application.licence_number,
        "contact_name": application.contact_name,
        "contact_phone": application.contact_phone,
        "contact_email": application.contact_email,
        "goods": list(application.goods.values_list("pk", flat=True)),
        "goods_note": application.goods_note,
    }


@role_required(roles.SUPPLIER, needs_supplier=False)
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest) -> HttpResponse:
    """资质审核: submit the application with its documents, see the decision and its
    reason, and apply again after a rejection (onboarding allows a new application;
    one waiting for a decision blocks another)."""
    account: SupplierAccount = request.principal  # type: ignore[attr-defined]
    latest = _latest_application(account)
    may_apply = account.supplier_id is None and (
        latest is None or latest.status == SupplierApplication.Status.REJECTED
    )
    status = 200
    form = None
    if may_apply:
        if request.method == "POST":
            form = forms.ApplicationForm(request.POST, request.FILES)
            if form.is_valid():
                submitted = _submit(request, form)
                if submitted:
                    messages.success(request, gettext("申请已提交，请等待平台审核。"))
                    return redirect("console:s:application")
            status = 400
        else:
            form = forms.ApplicationForm(initial=_initial_from(latest))
    elif request.method == "POST":
        messages.info(request, gettext("申请正在审核中或已通过，无需再次提交。"))
        return redirect("console:s:application")
    documents = latest.documents.order_by("pk") if latest is not None else []
    context = {
        "account": account,
        "form": form,
        "may_apply": may_apply,
        "documents": documents,
        # Served to the person who uploaded them (scope.account_documents).
        "documents_served": latest is not None and latest.applicant_id == account.user_id,
        "goods": latest.goods.order_by("name") if latest is not None else [],
        **_application_context(latest),
    }
    return render(request, "console/supplier/application.html", context, status=status)


def _submit(request: HttpRequest, form: forms.ApplicationForm) -> bool:
    """Submit through onboarding; a refusal goes onto the form (False)."""
    data = form.cleaned_data
    try:
        onboarding.submit_application(
            company_name=data["company_name"],
            licence_number=data["licence_number"],
            contact_name=data["contact_name"],
            contact_phone=data["contact_phone"],
            contact_email=data["contact_email"],
            product_ids=[product.pk for product in data["goods"]],
            goods_note=data["goods_note"],
            documents=data["documents"],
            applicant=request.user,
        )
    except ApplicationExists as exc:
        add_refusal(form, exc, {exc.code: "licence_number"})
        return False
    except InvalidInput as exc:
        known = forms.application_refusal(exc.message)
        if known is not None:
            form.add_error(known[0], known[1])
        else:
            form.add_error(None, refusal_text(exc))
        return False
    except DomainError as exc:
        add_refusal(form, exc)
        return False
    return True


@role_required(roles.SUPPLIER, needs_supplier=False)
def application_document(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the person's own qualification documents (another's: the 404)."""
    account: SupplierAccount = request.principal  # type: ignore[attr-defined]
    document = scope.one(scope.account_documents(account), pk=pk)
    if request.method not in ("GET", "HEAD"):
        return _get_only()
    try:
        handle = document.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404("document file missing") from exc
    response = FileResponse(
        handle,
        content_type=document.content_type,
        as_attachment=document.content_type == "application/pdf",
        filename=document.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- card batches (卡密批次) -----------------------------------------------------------


@role_required(roles.SUPPLIER)
@require_http_methods(["GET", "POST"])
def batches(request: HttpRequest) -> HttpResponse:
    """Upload a batch (stock.services.import_cards, its duplicate report on the batch's
    page), the stock per SKU and the batch history."""
    supplier = _supplier(request)
    status = 200
    refused_report = None
    if request.method == "POST":
        form = forms.BatchUploadForm(supplier, request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = import_cards(
                    supplier, data["sku"], data["cards"], source_name=data["source_name"]
                )
            except NoNewCards as exc:
                refused_report = _report_view(
                    {"imported": 0, **exc.details}, sku=form.cleaned_data["sku"]
                )
                form.add_error(None, refusal_text(exc))
            except DomainError as exc:
                add_refusal(form, exc)
                status = refusal_status(exc)
            else:
                request.session[_IMPORT_REPORT] = report.as_dict()
                if report.rejected:
                    messages.warning(
                        request,
                        gettext("已导入 %(imported)s 张卡密，%(rejected)s 行未导入。")
                        % {"imported": report.imported, "rejected": report.rejected},
                    )
                else:
                    messages.success(
                        request,
                        gettext("已导入 %(imported)s 张卡密。") % {"imported": report.imported},
                    )
                return redirect("console:s:batch", pk=report.batch_id)
        status = status if status != 200 else 400
    else:
        form = forms.BatchUploadForm(supplier)
    context = {
        "form": form,
        "refused_report": refused_report,
        "stock": [(row, row.available < LOW_STOCK) for row in dashboards.supplier_stock(supplier)],
        "low_stock": LOW_STOCK,
        "page_obj": _page(request, scope.supplier_batches(supplier).order_by("-pk")),
        "has_skus": form.fields["sku"].queryset.exists(),
    }
    return render(request, "console/supplier/batches.html", context, status=status)


def _report_view(report: dict[str, Any], *, sku: object = None) -> dict[str, Any]:
    """An import report (ImportReport.as_dict, or NoNewCards' details) as the page
    lists it: counts, and the first line numbers of each kind."""
    in_file = list(report.get("duplicate_in_file") or [])
    existing = list(report.get("duplicate_existing") or [])
    invalid = list(report.get("invalid") or [])
    return {
        "sku": sku,
        "imported": report.get("imported", 0),
        "rejected": len(in_file) + len(existing) + len(invalid),
        "duplicate_in_file": in_file[:REPORT_LINES],
        "duplicate_in_file_count": len(in_file),
        "duplicate_existing": existing[:REPORT_LINES],
        "duplicate_existing_count": len(existing),
        "invalid": [item["line"] for item in invalid[:REPORT_LINES]],
        "invalid_count": len(invalid),
        "lines_cut": REPORT_LINES,
    }


@role_required(roles.SUPPLIER)
def batch(request: HttpRequest, pk: int) -> HttpResponse:
    """One batch: what it holds by status (sold, for sale…), and right after its upload
    the import report (duplicates in the upload, already in stock, bad lines)."""
    supplier = _supplier(request)
    found = scope.one(scope.supplier_batches(supplier), pk=pk)
    if request.method not in ("GET", "HEAD"):
        return _get_only()
    counts = dict(
        scope.supplier_cards(supplier)
        .filter(batch=found)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_status = [(CARD_STATUS_LABELS[value], value, counts.get(value, 0)) for value in Card.Status]
    report = request.session.get(_IMPORT_REPORT)
    shown = _report_view(report) if report and report.get("batch_id") == found.pk else None
    return render(
        request,
        "console/supplier/batch.html",
        {"batch": found, "by_status": by_status, "report": shown},
    )


# --- API connection (接口对接) --------------------------------------------------------


@role_required(roles.SUPPLIER)
@require_http_methods(["GET", "POST"])
def connection(request: HttpRequest) -> HttpResponse:
    """The API connection of a supplier connected by API: address, merchant id and a
    write-only secret (an empty field keeps it), and the last connection test."""
    supplier = _supplier(request)
    is_api = supplier.mode == Supplier.Mode.API
    status = 200
    form = None
    if is_api and request.method == "POST":
        form = forms.ConnectionForm(supplier, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                upstream.configure_api(
                    supplier,
                    adapter=data["adapter"],
                    base_url=data["api_base_url"],
                    merchant_id=data["merchant_id"].strip(),
                    secret=data["api_secret"],
                )
            except DomainError as exc:
                add_refusal(form, exc)
                status = refusal_status(exc)
            else:
                request.session.pop(_CONNECTION_TEST, None)
                messages.success(request, gettext("接口设置已保存。建议立即测试连接。"))
                return redirect("console:s:connection")
        status = status if status != 200 else 400
    elif is_api:
        form = forms.ConnectionForm(
            supplier,
            initial={
                "adapter": supplier.adapter,
                "api_base_url": supplier.api_base_url,
                "merchant_id": supplier.merchant_id,
            },
        )
    elif request.method == "POST":
        return redirect("console:s:connection")
    test = request.session.get(_CONNECTION_TEST)
    context = {
        "supplier": supplier,
        "is_api": is_api,
        "form": form,
        "secret_set": bool(supplier.api_secret_encrypted),
        "test": test,
        "test_at": datetime.fromisoformat(test["at"]) if test else None,
        "offers": scope.supplier_offers(supplier).order_by("sku__product__name", "pk")[:PER_PAGE],
    }
    return render(request, "console/supplier/connection.html", context, status=status)


@role_required(roles.SUPPLIER)
@require_POST
def connection_test(request: HttpRequest) -> HttpResponse:
    """Ask the supplier's API about its offers (upstream.services.test_connection) and
    show what it answered, or why it could not be asked, on the connection page."""
    supplier = _supplier(request)
    result: dict[str, Any] = {"at": timezone.now().isoformat()}
    try:
        rows = upstream.test_connection(supplier)
    except ConnectionFailed as exc:
        result.update(ok=False, error=refusal_text(exc), detail=str(exc.details.get("detail", "")))
    except vault.SecretUnreadable:
        result.update(ok=False, error=gettext("API 密钥无法读取，请重新填写后保存。"), detail="")
    except DomainError as exc:
        result.update(ok=False, error=refusal_text(exc), detail="")
    else:
        result.update(
            ok=True,
            rows=[
                {
                    "sku": f"{row.sku.product.name} {row.sku.name}",
                    "remote_sku": row.remote_sku,
                    "cost": str(row.cost),
                    "stock": row.stock,
                    "available": row.available,
                }
                for row in rows
            ],
        )
    request.session[_CONNECTION_TEST] = result
    if result["ok"]:
        messages.success(request, gettext("连接成功。"))
    else:
        messages.error(request, gettext("连接测试未通过。"))
    return redirect("console:s:connection")


# --- statements (销售与对账) ----------------------------------------------------------


@role_required(roles.SUPPLIER)
@require_GET
def statements(request: HttpRequest) -> HttpResponse:
    """The statement of a period (reporting.statements: opening, settled, payouts,
    closing, still in escrow) and the postings on its payable account, paginated."""
    supplier = _supplier(request)
    form = forms.PeriodForm(request.GET)
    status = 200
    if form.is_valid():
        period = form.cleaned_data
        # Shown filled in with the period read (this month when none was given).
        form = forms.PeriodForm(initial={"start": period["start"], "end": period["end"]})
    else:  # said what is wrong above the form; the page shows this month meanwhile
        status = 400
        fallback = forms.PeriodForm({})
        fallback.is_valid()
        period = fallback.cleaned_data
    start, end = period["start"], period["end"]
    result = statement(supplier, start=start, end=end)
    since = timezone.make_aware(datetime.combine(start, time.min))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
    lines = (
        scope.supplier_journal_lines(supplier)
        .filter(journal__created_at__gte=since, journal__created_at__lt=until)
        .order_by("-journal__created_at", "-pk")
    )
    page_obj = _page(request, lines)
    rows = [
        (
            line,
            JOURNAL_KIND_LABELS.get(line.journal.kind, gettext("其他")),
        )
        for line in page_obj
    ]
    return render(
        request,
        "console/supplier/statements.html",
        {
            "form": form,
            "start": start,
            "end": end,
            "statement": result,
            "page_obj": page_obj,
            "rows": rows,
            "pending_lines": result.pending[:PER_PAGE],
        },
        status=status,
    )


# --- complaints (投诉) -----------------------------------------------------------------


@role_required(roles.SUPPLIER)
@require_GET
def complaints(request: HttpRequest) -> HttpResponse:
    """Orders with its goods that drew a complaint: open ones (售后中) first, or all."""
    supplier = _supplier(request)
    show_all = request.GET.get("show") == "all"
    rows = scope.supplier_complaints(supplier)
    if not show_all:
        rows = rows.filter(status=OrderStatus.DISPUTED)
    return render(
        request,
        "console/supplier/complaints.html",
        {"show_all": show_all, "page_obj": _page(request, rows.order_by("-created_at", "-pk"))},
    )


@role_required(roles.SUPPLIER)
def complaint(request: HttpRequest, order_no: str) -> HttpResponse:
    """One complaint: what the buyer said, the order's history, and which of the
    supplier's codes (masked) or top-ups were in it; while it is open, the supplier's
    answer for the operator (orders.services.supplier_reply). No buyer contact."""
    supplier = _supplier(request)
    order = scope.one(scope.supplier_complaints(supplier), order_no=order_no)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    status = 200
    form = forms.ReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                orders.supplier_reply(order, supplier=supplier.name, text=form.cleaned_data["text"])
            except DomainError as exc:
                add_refusal(form, exc, {"invalid_input": "text"})
                status = refusal_status(exc)
            else:
                messages.success(request, gettext("说明已提交，平台运营处理投诉时会看到。"))
                return redirect("console:s:complaint", order_no=order.order_no)
        else:
            status = 400
    cards = (
        scope.supplier_cards(supplier)
        .filter(order=order)
        .only("pk", "code", "status", "cost", "sold_at", "batch_id")
        .order_by("pk")
    )
    cards_cost = cards.aggregate(total=Sum("cost"))["total"]
    attempts = scope.supplier_attempts(supplier).filter(order=order).order_by("number")
    events = order.events.order_by("pk")
    return render(
        request,
        "console/supplier/complaint.html",
        {
            "order": order,
            "form": form if order.status == OrderStatus.DISPUTED or form.errors else None,
            "cards": [(card, CARD_STATUS_LABELS.get(card.status, card.status)) for card in cards],
            "cards_cost": cards_cost,
            "attempts": [
                (attempt, ATTEMPT_STATUS_LABELS.get(attempt.status, attempt.status))
                for attempt in attempts
            ],
            "events": events,
            "is_direct": order.sku.kind != Sku.Kind.CARD,
        },
        status=status,
    )

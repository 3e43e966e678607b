"""The buyer's pages. Views translate: what the browser sent → a service call → a page
or a redirect. Every price, amount and stock figure comes from the services; every
refusal (DomainError) becomes a form message through kameng.refusals.

The buyer's own links (hand-off, result, confirm, complain) carry `?t=`, the order's
access token (storefront.services.order_access_token): without the right one they are
404, and their pages are never cached nor send their URL to another site as a referrer
(Referrer-Policy: same-origin: the gateway, a link in a notice, an image never see the
token; the site's own forms still carry their origin, so Django's CSRF check applies to
every form as everywhere else).
"""

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kameng import guards
from kameng.catalog.models import Sku
from kameng.catalog.queries import get_sku
from kameng.clientip import client_ip
from kameng.devices import device_id, remember_device
from kameng.errors import DomainError
from kameng.orders import services as orders
from kameng.orders.models import Order
from kameng.orders.states import AWAITING_PAYMENT, Status
from kameng.payments import services as payments
from kameng.payments.states import PaymentStatus
from kameng.refusals import refusal_status, refusal_text
from kameng.storefront import queries, services
from kameng.storefront.forms import (
    CheckoutForm,
    ComplaintForm,
    LookupForm,
    PaymentTypeForm,
    add_refusal,
    payment_choices,
)
from kameng.storefront.models import Checkout, Storefront

log = logging.getLogger(__name__)

# Statuses in which the result page keeps asking (every 2 s) until something final (a
# held order too: the operator's decision shows without a reload).
WAITING = frozenset({Status.CREATED, Status.PAID, Status.DELIVERING, Status.REVIEW})
DELIVERED = frozenset({Status.DELIVERED, Status.COMPLETED, Status.DISPUTED})
# A card SKU with at most this many codes left shows the count (库存 N), else 有货.
FEW_LEFT = 20


# --- shops ---------------------------------------------------------------------------


@require_GET
@remember_device
def platform_home(request: HttpRequest) -> HttpResponse:
    """/: the platform's own shop, or a page saying it is not set up yet."""
    shop = queries.platform_storefront()
    if shop is None:
        return render(request, "storefront/no_platform.html")
    return _shop_page(request, shop)


@require_GET
@remember_device
def shop_home(request: HttpRequest, slug: str) -> HttpResponse:
    shop = _open_shop(slug)
    if shop is None:
        return not_found(request)
    return _shop_page(request, shop)


def _shop_page(request: HttpRequest, shop: Storefront) -> HttpResponse:
    categories: dict[str, list[dict]] = {}
    for offer in queries.shop_offers(shop):
        categories.setdefault(offer["category"], []).append(_with_stock(offer))
    return render(
        request,
        "storefront/shop.html",
        _shop_context(shop, categories=[{"name": k, "offers": v} for k, v in categories.items()]),
    )


@require_GET
def logo(request: HttpRequest, slug: str) -> HttpResponse:
    """The shop's logo from MEDIA_ROOT (whitenoise serves only static files). Its stored
    name is random and changes with every upload: pages link it with ?v=<name>, which
    may be cached for good."""
    shop = _open_shop(slug)
    if shop is None or not shop.logo:
        return not_found(request)
    version = _logo_version(shop)
    etag = f'"{version}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        try:
            response = FileResponse(shop.logo.open("rb"), filename=shop.logo.name.rsplit("/")[-1])
        except OSError:
            log.warning("the logo of shop %s is missing from storage", shop.slug)
            return not_found(request)
        response["Content-Disposition"] = "inline"
    response["ETag"] = etag
    if request.GET.get("v") == version:
        response["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response["Cache-Control"] = "public, max-age=3600"
    return response


# --- a product and its checkout ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@remember_device
def product(request: HttpRequest, slug: str, sku_id: int) -> HttpResponse:
    """The product page and its checkout form. POST: the order (storefront.services
    .checkout), the payment started, 303 to the hand-off. Only the form's own fields
    are read: a price, amount, seller or agent posted alongside is never looked at."""
    shop = _open_shop(slug)
    offers = queries.shop_offers(shop) if shop is not None else []
    offer = next((o for o in offers if o["sku_id"] == sku_id), None)
    if shop is None or offer is None:
        return not_found(request)
    sku = get_sku(sku_id)
    ip = client_ip(request)
    offered = payments.offered_types()
    options = {
        "direct": sku.kind == Sku.Kind.DIRECT,
        "mobile": sku.kind == Sku.Kind.DIRECT and services.takes_mobile_number(sku),
        "offered": offered,
        "captcha": _captcha_needed(ip),
    }
    status = 200
    if request.method == "POST":
        form = CheckoutForm(request.POST, **options)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.checkout(
                    shop,
                    sku_id=sku_id,
                    quantity=data["quantity"],
                    contact=data["contact"],
                    recharge_account=data.get("recharge_account", ""),
                    recharge_account_again=data.get("recharge_account_again", ""),
                    query_password=data["query_password"],
                    coupon_code=data["coupon_code"],
                    payment_type=data["payment_type"],
                    buyer_ip=ip,
                    device_id=device_id(request),
                )
            except DomainError as exc:
                add_refusal(form, exc)
                status = refusal_status(exc)
            else:
                # The order exists now: whatever the gateway says, the buyer goes on to
                # the hand-off, which starts the payment again or says what is wrong
                # (a second submit would only make a second order).
                with contextlib.suppress(DomainError):
                    payments.start_payment(
                        order, type=data["payment_type"], client_ip=ip, sitename=shop.name
                    )
                return _see_other(_pay_url(order.order_no))
        else:
            status = 400
        if not options["captcha"] and _captcha_needed(ip):  # this attempt made it needed
            form.require_captcha()
    else:
        form = CheckoutForm(**options)
    quantity = form.cleaned_data.get("quantity", 1) if form.is_bound else 1
    coupon = form.cleaned_data.get("coupon_code", "") if form.is_bound else ""
    summary = _summary(shop, sku_id, quantity or 1, coupon or "")
    share_url = settings.KAMENG_PUBLIC_URL + reverse("storefront:product", args=[shop.slug, sku_id])
    context = _shop_context(
        shop,
        offer=_with_stock(offer),
        sku=sku,
        siblings=[
            o
            for o in offers
            if o["product"] == offer["product"] and o["category"] == offer["category"]
        ],
        form=form,
        offered=offered,
        summary=summary,
        share_url=share_url,
        window_minutes=f"{settings.KAMENG_PAYMENT_WINDOW_MINUTES:g}",
    )
    response = render(request, "storefront/product.html", context, status=status)
    if status == 429:
        response["Retry-After"] = "60"
    return response


@require_GET
def price_summary(request: HttpRequest, slug: str, sku_id: int) -> HttpResponse:
    """The live price (htmx): subtotal, discount, total for ?quantity=&coupon_code=,
    from storefront.services.price. Refusals are shown inside it (200, so htmx swaps)."""
    shop = _open_shop(slug)
    if shop is None:
        return not_found(request)
    text = request.GET.get("quantity", "1").strip()
    limit = settings.KAMENG_MAX_ORDER_QUANTITY
    quantity = int(text) if text.isdigit() and len(text) <= 6 else 0
    if not 1 <= quantity <= limit:
        summary = {
            "error": gettext("购买数量须为 1 到 %(limit)s 之间的整数") % {"limit": limit},
        }
    else:
        summary = _summary(shop, sku_id, quantity, request.GET.get("coupon_code", "")[:64])
    return render(request, "storefront/includes/price_summary.html", {"summary": summary})


def _summary(shop: Storefront, sku_id: int, quantity: int, coupon_code: str) -> dict:
    """What the buyer would pay; a coupon that cannot be used is said so, and the price
    without it shown."""
    try:
        return {"price": services.price(shop, sku_id, quantity, coupon_code)}
    except DomainError as exc:
        if not exc.code.startswith("coupon_") and exc.code != "invalid_coupon_code":
            return {"error": refusal_text(exc)}
        coupon_error = refusal_text(exc)
    try:
        return {"price": services.price(shop, sku_id, quantity), "coupon_error": coupon_error}
    except DomainError as exc:
        return {"error": refusal_text(exc)}


# --- paying ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, order_no: str) -> HttpResponse:
    """The hand-off to the gateway: the order, its amount, the time left, and the signed
    form that takes the browser to the gateway (sent at once by kameng.js; a button
    without JS). A pay link (no payment type yet) first asks for one. POST: that
    choice."""
    found = _buyer_order(order_no, request.GET.get("t"))
    if found is None:
        return _private(not_found(request))
    order, checkout = found
    if order.status not in AWAITING_PAYMENT:
        return _see_other(_order_url(checkout, order.order_no))
    now = timezone.now()
    context = _order_context(checkout, order, now)
    if not context["payable"]:
        return _private(render(request, "storefront/pay.html", context))
    ip = client_ip(request)
    offered = payments.offered_types()
    status = 200
    if request.method == "POST":
        form = PaymentTypeForm(request.POST, offered=offered)
        if form.is_valid():
            try:
                payments.start_payment(
                    order,
                    type=form.cleaned_data["payment_type"],
                    client_ip=ip,
                    sitename=checkout.storefront.name,
                )
            except DomainError as exc:
                add_refusal(form, exc)
                status = refusal_status(exc)
            else:
                return _see_other(_pay_url(order.order_no))
        else:
            status = 400
    else:
        chosen = "" if request.GET.get("change") else _chosen_type(order, checkout)
        form = PaymentTypeForm(
            initial={"payment_type": chosen} if chosen else None, offered=offered
        )
        if chosen:
            try:
                redirect = payments.start_payment(
                    order, type=chosen, client_ip=ip, sitename=checkout.storefront.name
                )
            except DomainError as exc:
                add_refusal(form, exc)
            else:
                labels = dict(payment_choices(offered))
                context.update(redirect=redirect, type_label=labels.get(chosen, chosen))
    context["form"] = form
    return _private(render(request, "storefront/pay.html", context, status=status))


@require_GET
def pay_return(request: HttpRequest, gateway: str) -> HttpResponse:
    """The gateway's return_url: shows the result, never counts as payment (handle_return
    only asks the gateway). Anything that does not verify: "being confirmed"."""
    params = {key: request.GET.get(key, "") for key in request.GET}
    try:
        order = payments.handle_return(gateway, params, client_ip(request))
    except DomainError as exc:
        log.warning("return from %s not handled: %s", gateway[:32], exc.message)
        order = None
    checkout = queries.checkout_of(order) if order is not None else None
    if checkout is not None:
        return _see_other(_order_url(checkout, order.order_no))
    order_no = params.get("out_trade_no", "")
    shop = _shop_of_order_no(order_no)
    context = _shop_context(shop, order_no=order_no) if shop is not None else {}
    return _private(render(request, "storefront/return_pending.html", context))


# --- the buyer's order -----------------------------------------------------------------


@require_GET
def order_page(request: HttpRequest, slug: str, order_no: str) -> HttpResponse:
    """The result: status, progress, and once delivered the codes (or the top-up)."""
    found = _buyer_order(order_no, request.GET.get("t"), slug)
    if found is None:
        return _private(not_found(request))
    order, checkout = found
    context = _order_context(checkout, order, timezone.now())
    context["complaint_form"] = ComplaintForm()
    return _private(render(request, "storefront/order.html", context))


@require_GET
def order_status(request: HttpRequest, slug: str, order_no: str) -> HttpResponse:
    """The result page's live part (htmx, every 2 s while it waits). An unpaid order's
    payment is asked about at the gateway, at most once per KAMENG_STOREFRONT_QUERY_SECONDS
    per order however many pages poll."""
    found = _buyer_order(order_no, request.GET.get("t"), slug)
    if found is None:
        return _private(not_found(request))
    order, checkout = found
    if order.status == Status.CREATED:
        _ask_gateway(order)
        order.refresh_from_db()
    context = _order_context(checkout, order, timezone.now())
    context["complaint_form"] = ComplaintForm()
    return _private(render(request, "storefront/includes/order_live.html", context))


@require_POST
def confirm(request: HttpRequest, slug: str, order_no: str) -> HttpResponse:
    return _buyer_action(request, slug, order_no, lambda order, _: services.buyer_confirm(order))


@require_POST
def complain(request: HttpRequest, slug: str, order_no: str) -> HttpResponse:
    form = ComplaintForm(request.POST)
    return _buyer_action(
        request,
        slug,
        order_no,
        lambda order, _: services.buyer_complain(order, form.cleaned_data["reason"]),
        form,
    )


def _buyer_action(
    request: HttpRequest,
    slug: str,
    order_no: str,
    act: Callable[[Order, Checkout], object],
    form: ComplaintForm | None = None,
) -> HttpResponse:
    """Confirm or complain, then back to the result page (303); refused: the result
    page again with the reason."""
    found = _buyer_order(order_no, request.GET.get("t"), slug)
    if found is None:
        return _private(not_found(request))
    order, checkout = found
    complaint_form = form if form is not None else ComplaintForm()
    status = 400
    error = ""
    if form is None or form.is_valid():
        try:
            act(order, checkout)
        except DomainError as exc:
            error = refusal_text(exc)
            status = refusal_status(exc)
        else:
            return _see_other(_order_url(checkout, order.order_no))
        order.refresh_from_db()
    context = _order_context(checkout, order, timezone.now())
    context.update(
        complaint_form=complaint_form, action_error=error, complaint_open=form is not None
    )
    return _private(render(request, "storefront/order.html", context, status=status))


@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest, slug: str) -> HttpResponse:
    """Find an order again: its number, the contact and (if one was set) the query
    password. Every mismatch reads the same; an address may try only so often."""
    shop = _open_shop(slug)
    if shop is None:
        return not_found(request)
    status = 200
    if request.method == "POST":
        form = LookupForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.lookup(
                    data["order_no"],
                    data["contact"],
                    data["query_password"],
                    client_ip=client_ip(request),
                )
            except DomainError as exc:
                add_refusal(form, exc)
                status = refusal_status(exc)
            else:
                checkout = queries.checkout_of(order)
                if checkout is not None:
                    return _see_other(_order_url(checkout, order.order_no))
        else:
            status = 400
    else:
        form = LookupForm(initial={"order_no": request.GET.get("order_no", "")[:32]})
    response = render(
        request, "storefront/lookup.html", _shop_context(shop, form=form), status=status
    )
    if status == 429:
        response["Retry-After"] = str(settings.KAMENG_STOREFRONT_LOOKUPS[1])
    response["Cache-Control"] = "no-store"  # what was typed, and what it found
    return response


def not_found(request: HttpRequest) -> HttpResponse:
    """The 404 of the buyer's pages, in their layout."""
    return render(request, "storefront/not_found.html", status=404)


def not_found_handler(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler404 (kameng/urls.py): any unmatched path."""
    return not_found(request)


# --- helpers ---------------------------------------------------------------------------


def _open_shop(slug: str) -> Storefront | None:
    try:
        return services.storefront_at(slug)
    except DomainError:
        return None


def _shop_context(shop: Storefront, **extra: object) -> dict:
    return {
        "shop": shop,
        "brand_colour": shop.colour,
        "logo_url": _logo_url(shop),
        **extra,
    }


def _logo_url(shop: Storefront) -> str:
    if not shop.logo or not shop.active:
        return ""
    return reverse("storefront:logo", args=[shop.slug]) + f"?v={_logo_version(shop)}"


def _logo_version(shop: Storefront) -> str:
    return shop.logo.name.rsplit("/")[-1].split(".")[0][:16]


def _with_stock(offer: dict) -> dict:
    """The offer with what the buyer reads about its stock: in stock (有货), a few left
    (库存 N, cards only) or sold out (缺货)."""
    available = offer["stock_state"] == "in_stock"
    count = offer.get("stock")
    if not available:
        label, tone = gettext("缺货"), "out"
    elif count is not None and count <= FEW_LEFT:
        label, tone = gettext("库存 %(stock)s") % {"stock": count}, "few"
    else:
        label, tone = gettext("有货"), "in"
    return {**offer, "available": available, "stock_label": label, "stock_tone": tone}


def _captcha_needed(ip: str) -> bool:
    try:
        return services.captcha_needed(ip)
    except DomainError:  # no usable address: checkout refuses it anyway
        return False


def _buyer_order(
    order_no: str, token: object, slug: str | None = None
) -> tuple[Order, Checkout] | None:
    """The storefront order the token opens (and, given `slug`, of that shop), with its
    checkout; None for anything else."""
    if not services.check_access_token(order_no, token):
        return None
    try:
        order = orders.get_order(order_no, channel=Order.Channel.STOREFRONT)
    except DomainError:
        return None
    checkout = queries.checkout_of(order)
    if checkout is None or (slug is not None and checkout.storefront.slug != slug):
        return None
    return order, checkout


def _order_context(checkout: Checkout, order: Order, now: datetime) -> dict:
    shop = checkout.storefront
    deadline = order.payment_deadline
    payable = order.status == Status.CREATED and (deadline is None or deadline > now)
    closed = order.status == Status.EXPIRED or (order.status == Status.CREATED and not payable)
    cards: list[tuple[str, str]] = []
    cards_error = ""
    if order.status in DELIVERED:
        try:
            cards = services.buyer_cards(order)
        except DomainError as exc:  # the codes cannot be read (keys misconfigured)
            log.error("codes of order %s cannot be shown: %s", order.order_no, exc.message)
            cards_error = gettext("卡密暂时无法显示，请稍后刷新本页或联系店主")
    token = services.order_access_token(order.order_no)
    can_complain = order.status == Status.DELIVERED and (
        order.confirm_deadline is None or order.confirm_deadline > now
    )
    return _shop_context(
        shop,
        order=order,
        checkout=checkout,
        sku=order.sku,
        token=token,
        direct=order.sku.kind == Sku.Kind.DIRECT,
        payable=payable,
        closed=closed,
        time_left=_minutes_seconds(deadline - now) if payable and deadline else "",
        deadline_ms=int(deadline.timestamp() * 1000) if payable and deadline else 0,
        polling=order.status in WAITING and not closed,
        cards=cards,
        cards_error=cards_error,
        can_confirm=order.status == Status.DELIVERED,
        can_complain=can_complain,
        emailed=checkout.contact_kind == Checkout.ContactKind.EMAIL,
        order_url=_order_url(checkout, order.order_no),
        status_url=reverse("storefront:order_status", args=[shop.slug, order.order_no])
        + f"?t={token}",
        pay_url=_pay_url(order.order_no),
    )


def _minutes_seconds(left: timedelta) -> str:
    seconds = max(0, int(left.total_seconds()))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _chosen_type(order: Order, checkout: Checkout) -> str:
    """The payment type already chosen: the started payment's, else the checkout's."""
    try:
        payment = payments.get_payment(order.order_no)
    except DomainError:
        return checkout.payment_type
    return payment.type or checkout.payment_type


def _ask_gateway(order: Order) -> None:
    """check_payment for an unpaid order's pending payment, throttled per order."""
    try:
        payment = payments.get_payment(order.order_no)
    except DomainError:
        return  # the buyer never reached the gateway
    if payment.status != PaymentStatus.PENDING:
        return
    window = settings.KAMENG_STOREFRONT_QUERY_SECONDS
    count, _ = guards.store().count(f"storefront:query:{order.order_no}", window)
    if count == 1:
        payments.check_payment(payment)


def _shop_of_order_no(order_no: str) -> Storefront | None:
    """The shop an order number belongs to (for the lookup link of a return that did
    not verify: it tells nothing about the order itself)."""
    if not order_no or len(order_no) > 32:
        return None
    try:
        order = orders.get_order(order_no, channel=Order.Channel.STOREFRONT)
    except DomainError:
        return None
    checkout = queries.checkout_of(order)
    return checkout.storefront if checkout is not None and checkout.storefront.active else None


def _pay_url(order_no: str) -> str:
    token = services.order_access_token(order_no)
    return reverse("storefront:pay", args=[order_no]) + f"?t={token}"


def _order_url(checkout: Checkout, order_no: str) -> str:
    token = services.order_access_token(order_no)
    return reverse("storefront:order", args=[checkout.storefront.slug, order_no]) + f"?t={token}"


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    """Pages whose URL holds an order's token (and may show its codes): never stored by
    a cache, never sent to another site as a referrer."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response

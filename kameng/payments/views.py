"""The gateways' notify endpoint: reads a bounded request and translates the service's
verdict to the plain text the 易支付 protocol expects (`success` or `fail`)."""

from django.conf import settings
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from kameng.errors import DomainError
from kameng.payments import services
from kameng.payments.errors import NotifiesThrottled

TEXT = "text/plain; charset=utf-8"


@csrf_exempt  # gateways sign their notifies; there is no session to forge
@require_http_methods(["GET", "POST"])
def notify(request: HttpRequest, gateway: str) -> HttpResponse:
    limit = settings.KAMENG_PAYMENT_NOTIFY_MAX_BYTES
    body = _bounded_body(request, limit) if request.method == "POST" else b""
    try:
        handled = services.receive_notify(
            gateway,
            query=get_bytes_from_wsgi(request.META, "QUERY_STRING", ""),
            body=body,
            content_type=request.META.get("CONTENT_TYPE", ""),
            remote_ip=request.META.get("REMOTE_ADDR", ""),
        )
    except DomainError as exc:
        response = HttpResponse(b"fail", status=exc.status, content_type=TEXT)
        if isinstance(exc, NotifiesThrottled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if handled:
        return HttpResponse(b"success", content_type=TEXT)
    return HttpResponse(b"fail", status=400, content_type=TEXT)


def _bounded_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None if it is larger than `limit`: a declared length over it is
    refused before reading anything, and no more than `limit` + 1 bytes are read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body

"""The supplier callback endpoint: reads a bounded body and translates the service's
answer (the supplier's dialect) or refusal (JSON with a code) to HTTP."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kameng.clientip import client_ip
from kameng.errors import DomainError
from kameng.topup import services
from kameng.topup.errors import CallbacksThrottled


@csrf_exempt  # suppliers sign their callbacks; there is no session to forge
@require_POST
def supplier_callback(request: HttpRequest, supplier_id: int) -> HttpResponse:
    try:
        reply = services.receive_callback(
            supplier_id,
            _bounded_body(request, settings.KAMENG_CALLBACK_MAX_BYTES),
            request.content_type or "",
            client_ip(request),
            request.headers,
        )
    except DomainError as exc:
        response = JsonResponse(exc.as_dict(), status=exc.status)
        if isinstance(exc, CallbacksThrottled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return HttpResponse(reply.body, status=reply.status, content_type=reply.content_type)


def _bounded_body(request: HttpRequest, limit: int) -> bytes | None:
    """The body, or None if it is larger than `limit`: a declared length over it is
    refused before reading anything (Django's own 2.5 MB check never runs), and no
    more than `limit` + 1 bytes are ever read."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django's WSGI handler then reads nothing either
    if declared > limit:
        return None
    body = request.read(limit + 1)
    return None if len(body) > limit else body

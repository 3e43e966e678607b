from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kameng.supply.adapters import REGISTRY
from kameng.supply.models import Supplier
from kameng.topup import services


@csrf_exempt  # suppliers sign their callbacks; there is no session to forge
@require_POST
def supplier_callback(request: HttpRequest, supplier_id: int) -> HttpResponse:
    supplier = Supplier.objects.filter(pk=supplier_id, mode=Supplier.Mode.API).first()
    if supplier is None or supplier.adapter not in REGISTRY:
        raise Http404("no such supplier")
    status, body, content_type = services.receive_callback(
        supplier, request.body, request.content_type, request.META.get("REMOTE_ADDR", "")
    )
    return HttpResponse(body, status=status, content_type=content_type)

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse


def json_method_not_allowed(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Ninja answers a wrong method with plain text; the API promises JSON errors."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.status_code == 405 and request.path.startswith("/api/"):
            allowed = response.get("Allow", "")
            message = f"{request.method} is not allowed here; allowed: {allowed}"
            response = JsonResponse(
                {"error": {"code": "method_not_allowed", "message": message}}, status=405
            )
            response["Allow"] = allowed
        return response

    return middleware

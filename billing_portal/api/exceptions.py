"""The API's one error format: {"code", "message", "details"}.

Domain errors (`billing_portal.errors.BillingError`) keep their stable code and
HTTP status; DRF's own errors (validation, not found, not authenticated...) are put
into the same shape. Set as REST_FRAMEWORK["EXCEPTION_HANDLER"] in settings.py.
"""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from billing_portal.errors import BillingError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render domain errors as {"code", "message", "details"} with their HTTP status."""
    if isinstance(exc, BillingError):
        return Response(exc.as_dict(), status=exc.http_status)
    response = drf_exception_handler(exc, context)
    if response is not None and not (isinstance(response.data, dict) and "code" in response.data):
        detail = response.data
        code = getattr(exc, "default_code", "error")
        message = detail.get("detail", detail) if isinstance(detail, dict) else detail
        response.data = {"code": str(code), "message": str(message), "details": detail}
    return response

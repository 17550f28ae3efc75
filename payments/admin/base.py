"""Shared pieces of the payments admin."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from billing_portal.admin_helpers import ViewOnlyMixin
from billing_portal.errors import BillingError

FORM_TEMPLATE = "admin/payments/form_page.html"


def _money(amount: Decimal, currency: str = "") -> str:
    text = number_format(amount, 2, force_grouping=True)
    return f"{text} {currency}".strip()


def _attachment(content: bytes, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class ReadOnlyAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """A view, never an editor; the services change these rows."""

    form_template = FORM_TEMPLATE

    def has_manage_permission(self, request: HttpRequest) -> bool:
        """May call the services: the model's real "change" permission."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _url(self, view: str, *args: Any) -> str:
        opts = self.opts
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)

    def _view_url(self, name: str, view: Callable) -> Any:
        opts = self.opts
        return path(
            f"<path:object_id>/{name}/",
            self.admin_site.admin_view(view),
            name=f"{opts.app_label}_{opts.model_name}_{name}",
        )

    def _object_or_404(self, request: HttpRequest, object_id: str) -> Model:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("The object does not exist."))
        return obj

    def _form_page(self, request: HttpRequest, *, title: Any, **context: Any) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "media": self.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            **context,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.form_template, context)

    def _error(self, request: HttpRequest, error: BillingError, prefix: str = "") -> None:
        message = (
            _("%(object)s: %(message)s") % {"object": prefix, "message": error.message}
            if prefix
            else error.message
        )
        self.message_user(request, message, level=messages.ERROR)

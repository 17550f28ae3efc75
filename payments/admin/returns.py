"""Admin of allocations and payment returns (export of payment orders)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from billing_portal.errors import BillingError

from .. import returns
from ..forms import (
    ExportReturnsForm,
)
from ..models import (
    Allocation,
    PaymentReturn,
)
from .base import ReadOnlyAdmin, _attachment

# --- allocations and returns ----------------------------------------------------------------


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "transaction", "document", "amount", "rule", "actor_label")
    list_filter = ("rule",)
    list_select_related = ("transaction", "document")
    search_fields = ("document__number", "transaction__variable_symbol")
    date_hierarchy = "created_at"
    fields = ("created_at", "transaction", "document", "amount", "rule", "actor", "actor_label",
              "note")  # fmt: skip
    readonly_fields = fields


@admin.register(PaymentReturn)
class PaymentReturnAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "transaction",
        "payer",
        "amount",
        "currency",
        "status",
        "end_to_end_id",
        "exported_at",
        "matched_transaction",
    )
    list_filter = ("status", "currency")
    list_select_related = ("transaction", "matched_transaction")
    search_fields = (
        "end_to_end_id",
        "transaction__counterparty_name",
        "transaction__counterparty_account",
        "transaction__counterparty_key",
        "transaction__variable_symbol",
    )
    fields = (
        "transaction",
        "payer",
        "amount",
        "currency",
        "status",
        "reason",
        "end_to_end_id",
        "created_at",
        "exported_at",
        "file_link",
        "matched_transaction",
        "problem",
    )
    readonly_fields = fields
    actions = ("export_selected_currency",)

    @admin.display(description=_("payer"))
    def payer(self, obj: PaymentReturn) -> str:
        tx = obj.transaction
        return " ".join(p for p in (tx.counterparty_name, tx.counterparty_account) if p) or "—"

    @admin.display(description=_("payment order file"))
    def file_link(self, obj: PaymentReturn) -> str:
        if obj.pk is None or not obj.export_file:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            self._url("file", obj.pk),
            returns.export_filename(obj.currency, obj.exported_at),
        )

    @admin.display(description=_("cannot be exported because"))
    def problem(self, obj: PaymentReturn) -> str:
        if obj.status != PaymentReturn.Status.PROPOSED:
            return "—"
        return returns.problem_of(obj) or "—"

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name=f"{opts.app_label}_{opts.model_name}_export",
            ),
            self._view_url("file", self.file_view),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_export": self.has_manage_permission(request)}
        return super().changelist_view(request, extra_context)

    def file_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        payment_return = self._object_or_404(request, object_id)
        if not self.has_view_permission(request, payment_return) or not payment_return.export_file:
            raise PermissionDenied
        return _attachment(
            bytes(payment_return.export_file),
            filename=returns.export_filename(payment_return.currency, payment_return.exported_at),
            content_type=returns.CONTENT_TYPE.get(payment_return.currency, "text/plain"),
        )

    def _export(self, request: HttpRequest, currency: str) -> HttpResponse | None:
        """Export, and answer with the file; None (and an error message) when nothing was."""
        try:
            content = returns.export_returns(currency=currency, actor=request.user)
        except BillingError as error:
            self._error(request, error)
            return None
        exported_at = (
            PaymentReturn.objects.filter(currency=currency, exported_at__isnull=False)
            .order_by("-exported_at")
            .values_list("exported_at", flat=True)
            .first()
        )
        count = PaymentReturn.objects.filter(currency=currency, exported_at=exported_at).count()
        self.message_user(
            request,
            ngettext_lazy(
                "%(count)d %(currency)s return exported.",
                "%(count)d %(currency)s returns exported.",
                count,
            )
            % {"count": count, "currency": currency},
            level=messages.SUCCESS,
        )
        for payment_return, problem in returns.return_problems(currency=currency):
            self.message_user(
                request,
                _("Not exported, still proposed: %(return)s: %(problem)s")
                % {"return": payment_return.end_to_end_id, "problem": problem},
                level=messages.WARNING,
            )
        return _attachment(
            content,
            filename=returns.export_filename(currency, exported_at),
            content_type=returns.CONTENT_TYPE[currency],
        )

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_manage_permission(request):
            raise PermissionDenied
        form = ExportReturnsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            response = self._export(request, form.cleaned_data["currency"])
            return response or HttpResponseRedirect(self._url("changelist"))
        proposed = PaymentReturn.objects.filter(status=PaymentReturn.Status.PROPOSED)
        counts = ", ".join(
            f"{currency}: {proposed.filter(currency=currency).count()}"
            for currency in ("EUR", "CZK")
        )
        return self._form_page(
            request,
            title=_("Export returns"),
            intro=_(
                "All proposed returns of the currency go into one payment order file for the "
                "bank, and become exported. Proposed now: %(counts)s."
            )
            % {"counts": counts},
            form=form,
            submit_label=_("Export and download"),
        )

    @admin.action(
        description=_("Export returns (all proposed in the selected currency)"),
        permissions=("manage",),
    )
    def export_selected_currency(self, request: HttpRequest, queryset: QuerySet):
        currencies = set(
            queryset.filter(status=PaymentReturn.Status.PROPOSED).values_list("currency", flat=True)
        )
        if len(currencies) != 1:
            self.message_user(
                request,
                _(
                    "Select proposed returns of one currency: an export takes all proposed "
                    "returns of that currency."
                ),
                level=messages.WARNING,
            )
            return None
        return self._export(request, currencies.pop())

"""Admin of products, bank accounts, orders, number series and documents.

Documents are issued by `invoices.services`, never typed in: every document admin
is a read-only view (no add, no change, no delete). Staff act on documents only
through actions that call the services (resend, credit note, cancel, mark printed);
a `BillingError` of one document becomes an error message, the others go on.

Besides one admin per kind (the proxies PaymentRequest, TaxInvoice, CreditNote),
`Document` is registered as "all documents": a payment with an unknown reference is
looked up by VS without knowing the kind, and audit log rows (whose subject is the
concrete Document) link there. The "to print" list is that changelist filtered by
"to print: yes", with the "Mark as printed" action.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format, localize, number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_audit import AuditedAdmin
from billing_portal.admin_helpers import (
    ViewOnlyMixin,
    action_form_page,
    bound_on_confirm,
    null_filter,
)
from billing_portal.errors import BillingError

from . import services
from .models import (
    BankAccount,
    CreditNote,
    Document,
    DocumentLine,
    DocumentPayment,
    DocumentVatLine,
    DunningNotice,
    NumberSeries,
    Order,
    OrderLine,
    PaymentRequest,
    Product,
    ProductPrice,
    TaxInvoice,
    overdue_q,
)

# --- catalogue, bank accounts, orders ----------------------------------------------


class ProductPriceInline(admin.TabularInline):
    model = ProductPrice
    extra = 0
    fields = ("currency", "net_amount")


@admin.register(Product)
class ProductAdmin(AuditedAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "billing_period_months",
        "vat_category",
        "overpayment_policy",
        "active",
    )
    list_filter = ("kind", "active", "vat_category", "overpayment_policy")
    search_fields = ("code", "name")
    inlines = (ProductPriceInline,)


@admin.register(BankAccount)
class BankAccountAdmin(AuditedAdmin):
    list_display = ("name", "iban_display", "domestic_number", "bic", "currency", "status")
    list_filter = ("currency", "status")
    search_fields = ("name", "iban")

    @admin.display(description=_("IBAN"), ordering="iban")
    def iban_display(self, obj: BankAccount) -> str:
        return obj.iban_display

    @admin.display(description=_("domestic account number"))
    def domestic_number(self, obj: BankAccount) -> str:
        return obj.domestic_number


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("product", "label", "quantity", "unit_price")
    autocomplete_fields = ("product",)


@admin.register(Order)
class OrderAdmin(AuditedAdmin):
    list_display = ("number", "customer", "contract", "status", "created_at")
    list_filter = ("status", "customer__country")
    list_select_related = ("customer", "contract")
    search_fields = ("number", "customer__name", "customer__ico", "contract__number")
    autocomplete_fields = ("customer", "contract")
    readonly_fields = ("created_at",)
    date_hierarchy = "created_at"
    inlines = (OrderLineInline,)


@admin.register(NumberSeries)
class NumberSeriesAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Counters are taken only by `invoices.numbering` under a row lock."""

    list_display = ("kind", "year", "last_number")
    list_filter = ("kind", "year")
    readonly_fields = ("kind", "year", "last_number")


# --- documents -----------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    """Open or partly paid with the due date before today (Europe/Prague).

    Credit notes are never payable by the customer, so they are never overdue.
    """

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return (("yes", _("Overdue")), ("no", _("Not overdue")))

    def queryset(self, request, queryset):
        overdue = overdue_q(timezone.localdate())
        if self.value() == "yes":
            return queryset.filter(overdue)
        if self.value() == "no":
            return queryset.exclude(overdue)
        return queryset


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Recorded in the audit log (and printed on a credit note)."),
    )


class ReadOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class DocumentLineInline(ReadOnlyInline):
    model = DocumentLine
    fields = (
        "position",
        "description",
        "quantity",
        "unit",
        "unit_price",
        "vat_rate",
        "net_amount",
        "period_from",
        "period_to",
        "subscription",
        "applicant_email",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("subscription__contract")


class DocumentVatLineInline(ReadOnlyInline):
    model = DocumentVatLine
    fields = ("rate", "base", "vat")
    readonly_fields = fields


class DocumentPaymentInline(ReadOnlyInline):
    """Which payments paid the document, when and from where (the rows behind its
    amount paid)."""

    model = DocumentPayment
    fields = ("paid_on", "amount", "currency", "source", "source_key", "actor_label", "note")
    readonly_fields = fields
    ordering = ("created_at", "pk")


class DocumentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """All documents (the concrete table); the proxies' admins subclass it."""

    list_display = (
        "number",
        "kind",
        "customer",
        "contract",
        "variable_symbol",
        "issue_date",
        "due_date",
        "total",
        "paid",
        "status",
        "overdue",
        "delivery",
    )
    list_filter = (
        "kind",
        "status",
        OverdueFilter,
        "currency",
        "customer__country",
        "to_print",
    )
    list_select_related = ("customer", "contract")
    search_fields = (
        "variable_symbol",
        "number",
        "contract__number",
        "customer__name",
        "customer__ico",
    )
    date_hierarchy = "issue_date"
    list_per_page = 50
    inlines = (DocumentLineInline, DocumentVatLineInline, DocumentPaymentInline)
    actions = ("resend", "issue_credit_note", "cancel_payment_request", "mark_printed")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "kind",
                    "number",
                    "variable_symbol",
                    "status",
                    "customer",
                    "contract",
                    "order",
                    "related_document",
                    "derived_documents_list",
                    "pdf_link",
                )
            },
        ),
        (_("Dates"), {"fields": ("issue_date", "taxable_supply_date", "due_date", "paid_on")}),
        (
            _("Amounts"),
            {
                "fields": (
                    "currency",
                    "vat_regime",
                    "total_net",
                    "total_vat",
                    "total_gross",
                    "amount_paid",
                    "amount_due",
                    "bank_account",
                )
            },
        ),
        (
            _("Delivery and state"),
            {"fields": ("sent_at", "to_print", "printed_at", "fulfilled_at", "cancelled_at")},
        ),
        (
            _("As issued"),
            {
                "classes": ("collapse",),
                "fields": (
                    "seller_snapshot",
                    "buyer_snapshot",
                    "language",
                    "note",
                    "year",
                    "sequence",
                    "issued_at",
                    "issued_by",
                ),
            },
        ),
    )
    readonly_fields = tuple(f for _title, opts in fieldsets for f in opts["fields"])

    # --- permissions: a view (ViewOnlyMixin), actions need the real change right ----

    def has_manage_permission(self, request) -> bool:
        """May run the actions (which call services): the real "change" permission of
        this model, which the admin itself never uses to edit."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # --- columns -----------------------------------------------------------------

    @admin.display(description=_("total"), ordering="total_gross")
    def total(self, obj: Document) -> str:
        return f"{number_format(obj.total_gross, 2, force_grouping=True)} {obj.currency}"

    @admin.display(description=_("amount paid"), ordering="amount_paid")
    def paid(self, obj: Document) -> str:
        return number_format(obj.amount_paid, 2, force_grouping=True)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, obj: Document) -> bool:
        return obj.is_overdue(timezone.localdate())

    @admin.display(description=_("delivery"))
    def delivery(self, obj: Document) -> str:
        if obj.to_print:
            return _("to print")
        if obj.printed_at:
            return _("printed %(when)s") % {"when": localize(timezone.localtime(obj.printed_at))}
        if obj.sent_at:
            return _("e-mailed %(when)s") % {"when": localize(timezone.localtime(obj.sent_at))}
        return _("not sent")

    @admin.display(description=_("amount due"))
    def amount_due(self, obj: Document) -> str:
        return number_format(obj.amount_due, 2, force_grouping=True)

    @admin.display(description=_("seller snapshot"))
    def seller_snapshot(self, obj: Document) -> str:
        return _pretty_json(obj.seller)

    @admin.display(description=_("buyer snapshot"))
    def buyer_snapshot(self, obj: Document) -> str:
        return _pretty_json(obj.buyer)

    @admin.display(description=_("derived documents"))
    def derived_documents_list(self, obj: Document) -> str:
        derived = list(obj.derived_documents.order_by("issue_date", "pk"))
        if not derived:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            (
                (
                    reverse("admin:invoices_document_change", args=[d.pk]),
                    d.number,
                    d.get_kind_display(),
                )
                for d in derived
            ),
        )

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: Document) -> str:
        if obj.pk is None:
            return "—"
        opts = self.opts
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_pdf", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download PDF"))

    # --- the PDF ---------------------------------------------------------------------

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name=f"{opts.app_label}_{opts.model_name}_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        document = self.get_object(request, unquote(object_id))
        if document is None:
            raise Http404
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        from .pdf import pdf_filename, render_document_pdf

        response = HttpResponse(render_document_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{pdf_filename(document)}"'
        return response

    # --- actions -----------------------------------------------------------------

    def _run_service(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        call: Callable[[Document], bool],
        done_message: Callable[[int], str],
    ) -> None:
        """Call the service per document; a BillingError of one is shown and skipped.

        `call` returns False when the document needed nothing (it is not counted).
        """
        done = 0
        for document in queryset.order_by("pk"):
            try:
                if call(document):
                    done += 1
            except BillingError as error:
                self.message_user(
                    request,
                    _("%(number)s: %(message)s")
                    % {"number": document.number, "message": error.message},
                    level=messages.ERROR,
                )
        if done:
            self.message_user(request, done_message(done), level=messages.SUCCESS)

    def _ask_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        action: str,
        title: str,
        intro: str,
        apply: Callable[[str], None],
    ) -> TemplateResponse | None:
        """Confirmation page with a reason; on a valid POST, run `apply(reason)`."""
        form = bound_on_confirm(ReasonForm, request)
        if form.is_bound and form.is_valid():
            apply(form.cleaned_data["reason"])
            return None
        return action_form_page(
            self,
            request,
            action=action,
            title=title,
            intro=intro,
            form=form,
            columns=(_("Number"), _("Customer"), _("Issue date"), _("Total"), _("Status")),
            rows=(
                (
                    d.pk,
                    (
                        d.number,
                        d.customer,
                        date_format(d.issue_date, "SHORT_DATE_FORMAT"),
                        f"{d.total_gross} {d.currency}",
                        d.get_status_display(),
                    ),
                )
                for d in queryset.select_related("customer").order_by("pk")
            ),
        )

    @admin.action(description=_("Resend document"), permissions=("manage",))
    def resend(self, request: HttpRequest, queryset: QuerySet) -> None:
        def call(document: Document) -> bool:
            services.resend_document(document=document, actor=request.user)
            return True

        self._run_service(
            request,
            queryset,
            call,
            lambda n: (
                ngettext(
                    "%(count)d document queued for delivery again.",
                    "%(count)d documents queued for delivery again.",
                    n,
                )
                % {"count": n}
            ),
        )

    @admin.action(description=_("Mark as printed"), permissions=("manage",))
    def mark_printed(self, request: HttpRequest, queryset: QuerySet) -> None:
        def call(document: Document) -> bool:
            was_to_print = document.to_print
            services.mark_printed(document=document, actor=request.user)
            return was_to_print

        self._run_service(
            request,
            queryset,
            call,
            lambda n: (
                ngettext(
                    "%(count)d document marked as printed.",
                    "%(count)d documents marked as printed.",
                    n,
                )
                % {"count": n}
            ),
        )

    @admin.action(description=_("Issue credit note"), permissions=("manage",))
    def issue_credit_note(self, request: HttpRequest, queryset: QuerySet):
        def apply(reason: str) -> None:
            def call(document: Document) -> bool:
                credit_note = services.issue_credit_note(
                    invoice=document, reason=reason, actor=request.user
                )
                self.message_user(
                    request,
                    _("Credit note %(credit_note)s issued for %(number)s.")
                    % {"credit_note": credit_note.number, "number": document.number},
                    level=messages.INFO,
                )
                return True

            self._run_service(
                request,
                queryset,
                call,
                lambda n: (
                    ngettext("%(count)d credit note issued.", "%(count)d credit notes issued.", n)
                    % {"count": n}
                ),
            )

        return self._ask_reason(
            request,
            queryset,
            action="issue_credit_note",
            title=_("Issue credit note"),
            intro=_(
                "A credit note for the whole amount will be issued for each of these tax "
                "invoices. The reason is printed on the credit note."
            ),
            apply=apply,
        )

    @admin.action(description=_("Cancel unpaid payment request"), permissions=("manage",))
    def cancel_payment_request(self, request: HttpRequest, queryset: QuerySet):
        def apply(reason: str) -> None:
            def call(document: Document) -> bool:
                services.cancel_payment_request(
                    document=document, actor=request.user, reason=reason
                )
                return True

            self._run_service(
                request,
                queryset,
                call,
                lambda n: (
                    ngettext(
                        "%(count)d payment request cancelled.",
                        "%(count)d payment requests cancelled.",
                        n,
                    )
                    % {"count": n}
                ),
            )

        return self._ask_reason(
            request,
            queryset,
            action="cancel_payment_request",
            title=_("Cancel unpaid payment request"),
            intro=_(
                "These payment requests will be cancelled. Only an unpaid payment request "
                "can be cancelled; a tax invoice is corrected by a credit note."
            ),
            apply=apply,
        )


def _pretty_json(value: Any) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html('<pre style="margin: 0; white-space: pre-wrap;">{}</pre>', text)


admin.site.register(Document, DocumentAdmin)


@admin.register(PaymentRequest)
class PaymentRequestAdmin(DocumentAdmin):
    list_filter = ("status", OverdueFilter, "currency", "customer__country", "to_print")
    actions = ("resend", "cancel_payment_request", "mark_printed")


@admin.register(TaxInvoice)
class TaxInvoiceAdmin(DocumentAdmin):
    list_filter = ("status", OverdueFilter, "currency", "customer__country", "to_print")
    actions = ("resend", "issue_credit_note", "mark_printed")


@admin.register(CreditNote)
class CreditNoteAdmin(DocumentAdmin):
    list_filter = ("status", "currency", "customer__country", "to_print")
    actions = ("resend", "mark_printed")


# --- dunning notices -----------------------------------------------------------------


NoticeSentFilter = null_filter(
    "sent_at",
    title=_("sent"),
    parameter="sent",
    set_choice=("yes", _("Yes")),
    unset_choice=("no", _("No")),
)


@admin.register(DunningNotice)
class DunningNoticeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Reminders and block notices as claimed and sent by `invoices.dunning`; a view."""

    list_display = ("document", "level", "claimed_at", "sent_at", "recipients_list")
    list_filter = ("level", NoticeSentFilter)
    list_select_related = ("document",)
    search_fields = ("document__number", "document__variable_symbol", "document__contract__number")
    date_hierarchy = "claimed_at"
    fields = ("document", "level", "claimed_at", "claim", "sent_at", "recipients_list")
    readonly_fields = fields

    @admin.display(description=_("recipients"))
    def recipients_list(self, obj: DunningNotice) -> str:
        return ", ".join(str(address) for address in obj.recipients) or "—"

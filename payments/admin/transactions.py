"""Admin of bank transactions: the review queue and what staff do with a payment."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from billing_portal.admin_helpers import ViewOnlyMixin
from billing_portal.errors import BillingError
from invoices.models import Document

from .. import services
from ..forms import (
    AssignLineFormSet,
    CreditToWalletForm,
    NoteForm,
    ReasonForm,
    RebookForm,
)
from ..models import (
    Allocation,
    BankTransaction,
    PaymentReturn,
    TransactionStatus,
)
from .base import ReadOnlyAdmin, _money

# --- bank transactions ---------------------------------------------------------------------


class ReviewQueueFilter(admin.SimpleListFilter):
    """The payments the pairing could not decide: staff assign, return or discard them."""

    title = _("review queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return (("review", _("Needs review")),)

    def queryset(self, request, queryset):
        if self.value() == "review":
            return queryset.filter(status=TransactionStatus.REVIEW)
        return queryset


class AllocationInline(ViewOnlyMixin, admin.TabularInline):
    model = Allocation
    fk_name = "transaction"
    extra = 0
    can_delete = False
    fields = ("created_at", "document", "amount", "rule", "actor_label", "note")
    readonly_fields = fields
    ordering = ("created_at", "pk")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("document")


def _label(tx: BankTransaction) -> str:
    """How a payment is named in a message: "2026-11-02 1,210.00 CZK (VS 2026000123)"."""
    label = f"{tx.booking_date:%Y-%m-%d} {_money(tx.amount, tx.currency)}"
    return f"{label} (VS {tx.variable_symbol})" if tx.variable_symbol else label


def _candidates(tx: BankTransaction) -> list[Document]:
    ids = [pk for pk in (tx.candidates or []) if isinstance(pk, int)]
    return list(Document.objects.filter(pk__in=ids).order_by("number"))


def _can_assign(tx: BankTransaction) -> bool:
    return (
        tx.direction == BankTransaction.Direction.CREDIT
        and tx.status in services.STAFF_HANDLES
        and tx.unallocated > 0
    )


@admin.register(BankTransaction)
class BankTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "booking_date",
        "bank_account",
        "direction",
        "amount",
        "currency",
        "variable_symbol",
        "specific_symbol",
        "constant_symbol",
        "counterparty",
        "short_message",
        "status",
        "allocated_amount",
        "unallocated_amount",
        "review_reason",
    )
    list_filter = (
        ReviewQueueFilter,
        "status",
        "direction",
        "currency",
        "bank_account",
    )
    list_select_related = ("bank_account",)
    search_fields = (
        "variable_symbol",
        "specific_symbol",
        "counterparty_name",
        "counterparty_account",
        "counterparty_key",  # finds an account in either form: "2000145399" or "19-2000145399"
        "message",
        "bank_reference",
    )
    date_hierarchy = "booking_date"
    list_per_page = 100
    inlines = (AllocationInline,)
    actions = ("assign_to_documents", "rebook", "credit_to_wallet", "mark_for_return", "discard")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "bank_account",
                    "booking_date",
                    "value_date",
                    "direction",
                    "amount",
                    "currency",
                    "status",
                    "allocated_amount",
                    "credited_amount",
                    "unallocated_amount",
                    "review_reason",
                    "candidate_documents",
                    "payment_return_link",
                    "processed_at",
                    "note",
                )
            },
        ),
        (
            _("Payment"),
            {
                "fields": (
                    "variable_symbol",
                    "specific_symbol",
                    "constant_symbol",
                    "message",
                    "counterparty_name",
                    "counterparty_account",
                    "counterparty_bank",
                    "bank_reference",
                    "end_to_end_id",
                    "is_reversal",
                )
            },
        ),
        (
            _("As received"),
            {
                "classes": ("collapse",),
                "fields": ("statement_import", "natural_key", "created_at", "raw"),
            },
        ),
    )
    readonly_fields = tuple(f for _title, opts in fieldsets for f in opts["fields"])

    # --- columns and fields ----------------------------------------------------------

    @admin.display(description=_("counterparty"), ordering="counterparty_name")
    def counterparty(self, obj: BankTransaction) -> str:
        return " ".join(p for p in (obj.counterparty_name, obj.counterparty_account) if p) or "—"

    @admin.display(description=_("message"))
    def short_message(self, obj: BankTransaction) -> str:
        return Truncator(obj.message).chars(40)

    @admin.display(description=_("unallocated"))
    def unallocated_amount(self, obj: BankTransaction) -> str:
        return number_format(obj.unallocated, 2, force_grouping=True)

    @admin.display(description=_("candidate documents"))
    def candidate_documents(self, obj: BankTransaction) -> str:
        documents = _candidates(obj)
        if not documents:
            return "—"
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}), {}: {}</li>',
            (
                (
                    reverse("admin:invoices_document_change", args=[d.pk]),
                    d.number,
                    d.get_status_display(),
                    _("amount due"),
                    _money(d.amount_due, d.currency),
                )
                for d in documents
            ),
        )
        return format_html('<ul style="margin: 0; padding-left: 1em;">{}</ul>', rows)

    @admin.display(description=_("payment return"))
    def payment_return_link(self, obj: BankTransaction) -> str:
        found = PaymentReturn.objects.filter(transaction=obj).first() or (
            PaymentReturn.objects.filter(matched_transaction=obj).first()
        )
        if found is None:
            return "—"
        return format_html(
            '<a href="{}">{} ({})</a>',
            reverse("admin:payments_paymentreturn_change", args=[found.pk]),
            found.end_to_end_id,
            found.get_status_display(),
        )

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        amount = _search_amount(search_term)
        if amount is not None:
            results |= queryset.filter(amount=amount)
        return results, may_have_duplicates

    # --- buttons on the change page ----------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        tx = self.get_object(request, unquote(object_id))
        if tx is not None and self.has_manage_permission(request):
            tools = []
            if _can_assign(tx):
                tools.append((self._url("assign", tx.pk), _("Assign to documents")))
            if tx.allocations.filter(amount__gt=0).exists():
                tools.append((self._url("rebook", tx.pk), _("Re-book allocation")))
            if _can_assign(tx) and tx.status != TransactionStatus.RETURN_PROPOSED:
                tools.append((self._url("return", tx.pk), _("Mark for return")))
            if tx.status in (TransactionStatus.REVIEW, TransactionStatus.UNPROCESSED):
                tools.append((self._url("discard", tx.pk), _("Discard")))
            extra_context["payment_tools"] = tools
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            self._view_url("assign", self.assign_view),
            self._view_url("rebook", self.rebook_view),
            self._view_url("return", self.return_view),
            self._view_url("discard", self.discard_view),
            *super().get_urls(),
        ]

    # --- views of one payment ------------------------------------------------------------

    def _managed(self, request: HttpRequest, object_id: str) -> BankTransaction:
        if not self.has_manage_permission(request):
            raise PermissionDenied
        return self._object_or_404(request, object_id)

    def _done(self, request: HttpRequest, tx: BankTransaction, message: Any) -> HttpResponse:
        self.message_user(request, message, level=messages.SUCCESS)
        return HttpResponseRedirect(self._url("change", tx.pk))

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tx = self._managed(request, object_id)
        candidates = _candidates(tx)
        if request.method == "POST":
            formset = AssignLineFormSet(request.POST, prefix="lines")
            form = NoteForm(request.POST)
            if formset.is_valid() and form.is_valid():
                try:
                    allocations = services.assign_transaction(
                        tx=tx,
                        splits=formset.splits(),
                        actor=request.user,
                        note=form.cleaned_data["note"],
                    )
                except BillingError as error:
                    self._error(request, error)
                else:
                    parts = ", ".join(
                        f"{a.document.number} {_money(a.amount, tx.currency)}" for a in allocations
                    )
                    return self._done(
                        request, tx, _("Payment assigned: %(parts)s.") % {"parts": parts}
                    )
        else:
            initial = []
            payable = [d for d in candidates if d.is_payable and d.currency == tx.currency]
            if len(payable) == 1:
                due = min(payable[0].amount_due, tx.unallocated)
                initial = [{"document": payable[0].number, "amount": due}]
            formset = AssignLineFormSet(prefix="lines", initial=initial)
            form = NoteForm()
        return self._form_page(
            request,
            title=_("Assign to documents"),
            intro=_(
                "Assign the payment to one document, or split it across several: the parts "
                "must add up to the unallocated %(amount)s."
            )
            % {"amount": _money(tx.unallocated, tx.currency)},
            original=tx,
            transactions=[tx],
            candidates=candidates,
            formset=formset,
            form=form,
        )

    def rebook_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tx = self._managed(request, object_id)
        form = RebookForm(request.POST or None, tx=tx)
        if request.method == "POST" and form.is_valid():
            allocation = form.cleaned_data["allocation"]
            target = form.cleaned_data["document"]
            try:
                moved = services.rebook_allocation(
                    allocation=allocation,
                    to_document=target,
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except BillingError as error:
                self._error(request, error)
            else:
                return self._done(
                    request,
                    tx,
                    _("Re-booked %(amount)s from %(old)s to %(new)s.")
                    % {
                        "amount": _money(moved.amount, tx.currency),
                        "old": allocation.document.number,
                        "new": target.number,
                    },
                )
        return self._form_page(
            request,
            title=_("Re-book allocation"),
            intro=_(
                "Move what an allocation of this payment paid to another document (přeúčtování): "
                "the old document gets a negative allocation, the new one a positive one."
            ),
            original=tx,
            transactions=[tx],
            form=form,
        )

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tx = self._managed(request, object_id)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                payment_return = services.mark_for_return(
                    tx=tx, actor=request.user, reason=form.cleaned_data["reason"]
                )
            except BillingError as error:
                self._error(request, error)
            else:
                return self._done(
                    request,
                    tx,
                    _("%(amount)s proposed for return to %(account)s.")
                    % {
                        "amount": _money(payment_return.amount, payment_return.currency),
                        "account": tx.counterparty_account,
                    },
                )
        return self._form_page(
            request,
            title=_("Mark for return"),
            intro=_(
                "The unallocated part of the payment will be proposed for return to the "
                "payer; the next export of returns puts it into a payment order file."
            ),
            original=tx,
            transactions=[tx],
            form=form,
        )

    def discard_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        tx = self._managed(request, object_id)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.discard_transaction(
                    tx=tx, actor=request.user, note=form.cleaned_data["reason"]
                )
            except BillingError as error:
                self._error(request, error)
            else:
                return self._done(request, tx, _("The payment was discarded."))
        return self._form_page(
            request,
            title=_("Discard"),
            intro=_("The payment needs nothing more (e.g. it was settled outside the system)."),
            original=tx,
            transactions=[tx],
            form=form,
        )

    # --- actions -------------------------------------------------------------------------

    def _one(self, request: HttpRequest, queryset: QuerySet, view: str) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request, _("Select exactly one payment for this action."), level=messages.WARNING
            )
            return None
        return HttpResponseRedirect(self._url(view, queryset.get().pk))

    @admin.action(description=_("Assign to documents"), permissions=("manage",))
    def assign_to_documents(self, request: HttpRequest, queryset: QuerySet):
        return self._one(request, queryset, "assign")

    @admin.action(description=_("Re-book allocation"), permissions=("manage",))
    def rebook(self, request: HttpRequest, queryset: QuerySet):
        return self._one(request, queryset, "rebook")

    def _run_service(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        call: Callable[[BankTransaction], Any],
        done_message: Callable[[int], Any],
    ) -> None:
        """Call the service per payment; a BillingError of one is shown and skipped."""
        done = 0
        for tx in queryset.order_by("pk"):
            try:
                call(tx)
            except BillingError as error:
                self._error(request, error, prefix=_label(tx))
            else:
                done += 1
        if done:
            self.message_user(request, done_message(done), level=messages.SUCCESS)

    def _ask_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        *,
        action: str,
        title: Any,
        intro: Any,
        apply: Callable[[str], None],
    ) -> TemplateResponse | None:
        if request.POST.get("post") == "yes":
            form = ReasonForm(request.POST)
            if form.is_valid():
                apply(form.cleaned_data["reason"])
                return None
        else:
            form = ReasonForm()
        return self._form_page(
            request,
            title=title,
            intro=intro,
            transactions=list(queryset.select_related("bank_account").order_by("pk")),
            form=form,
            action=action,
        )

    @admin.action(description=_("Credit to a customer's wallet"), permissions=("manage",))
    def credit_to_wallet(self, request: HttpRequest, queryset: QuerySet):
        form = CreditToWalletForm(request.POST if request.POST.get("post") == "yes" else None)
        if form.is_bound and form.is_valid():
            customer, note = form.cleaned_data["contract"].customer, form.cleaned_data["note"]
            self._run_service(
                request,
                queryset,
                lambda tx: services.credit_payment_to_wallet(
                    tx=tx, customer=customer, actor=request.user, note=note
                ),
                lambda n: (
                    ngettext_lazy("%(count)d payment credited.", "%(count)d payments credited.", n)
                    % {"count": n}
                ),
            )
            return None
        return self._form_page(
            request,
            title=_("Credit to a customer's wallet"),
            intro=_(
                "The unallocated part of each of these payments becomes credit of the "
                "contract's customer (same currency, active wallet)."
            ),
            transactions=list(queryset.select_related("bank_account").order_by("pk")),
            form=form,
            action="credit_to_wallet",
        )

    @admin.action(description=_("Mark for return"), permissions=("manage",))
    def mark_for_return(self, request: HttpRequest, queryset: QuerySet):
        def apply(reason: str) -> None:
            self._run_service(
                request,
                queryset,
                lambda tx: services.mark_for_return(tx=tx, actor=request.user, reason=reason),
                lambda n: (
                    ngettext_lazy(
                        "%(count)d payment proposed for return.",
                        "%(count)d payments proposed for return.",
                        n,
                    )
                    % {"count": n}
                ),
            )

        return self._ask_reason(
            request,
            queryset,
            action="mark_for_return",
            title=_("Mark for return"),
            intro=_(
                "The unallocated part of each of these payments will be proposed for return "
                "to its payer."
            ),
            apply=apply,
        )

    @admin.action(description=_("Discard"), permissions=("manage",))
    def discard(self, request: HttpRequest, queryset: QuerySet):
        def apply(reason: str) -> None:
            self._run_service(
                request,
                queryset,
                lambda tx: services.discard_transaction(tx=tx, actor=request.user, note=reason),
                lambda n: (
                    ngettext_lazy(
                        "%(count)d payment discarded.", "%(count)d payments discarded.", n
                    )
                    % {"count": n}
                ),
            )

        return self._ask_reason(
            request,
            queryset,
            action="discard",
            title=_("Discard"),
            intro=_("These payments need nothing more (e.g. settled outside the system)."),
            apply=apply,
        )


def _search_amount(term: str) -> Decimal | None:
    """ "1 210,50" or "1210.50" as an amount; None when the term is not one."""
    text = term.strip().replace("\xa0", "").replace(" ", "").replace(",", ".")
    if not text or text.count(".") > 1:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:
        return None
    return amount

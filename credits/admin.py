"""Admin for accounting: wallets (with their actions), the ledger (read-only, CSV
export, reversal) and the monthly statement claims.

Balances never change by editing a row: every movement is an action that calls
`credits.services` with the staff user and a reason, and is audited there.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from accounts.admin_audit import AuditedAdmin
from billing_portal.admin_helpers import ViewOnlyMixin, action_form_page, bound_on_confirm
from billing_portal.errors import BillingError

from . import services, statements
from .models import LedgerEntry, MonthlyStatement, Wallet


def _reason_field(help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=help_text or _("Recorded with the entry and in the audit log."),
    )


class AmountWithReasonForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2)
    reason = _reason_field()


class ReasonForm(forms.Form):
    reason = _reason_field()


class TopUpForm(forms.Form):
    net_amount = forms.DecimalField(
        label=_("Credit to add (without VAT)"),
        max_digits=14,
        decimal_places=2,
        min_value=1,
        help_text=_("A payment request is issued: with VAT for customers who are not VAT payers."),
    )


class PeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"))
    date_to = forms.DateField(label=_("To"))

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period ends before it starts."))
        return data


def _csv_response(content: str, name: str) -> HttpResponse:
    # the BOM lets spreadsheet programs read the file as UTF-8 (diacritics in names)
    response = HttpResponse("\ufeff" + content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@admin.register(Wallet)
class WalletAdmin(AuditedAdmin):
    list_display = (
        "customer",
        "currency",
        "balance",
        "active",
        "low_balance_threshold",
        "low_balance_alerted",
        "monthly_statement",
    )
    list_filter = ("currency", "active", "low_balance_alerted", "monthly_statement")
    list_select_related = ("customer",)
    search_fields = ("customer__name", "customer__ico", "customer__email")
    fields = (
        "customer",
        "currency",
        "balance",
        "active",
        "low_balance_threshold",
        "low_balance_alerted",
        "monthly_statement",
        "created_at",
    )
    readonly_fields = (
        "customer",
        "currency",
        "balance",
        "active",
        "low_balance_alerted",
        "created_at",
    )
    actions = (
        "adjust_balance",
        "refund_credit",
        "request_top_up",
        "deactivate",
        "reactivate",
        "export_entries",
        "download_statement",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a wallet is created with the customer's first top-up or charge

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def _rows(self, queryset: QuerySet):
        for wallet in queryset.select_related("customer").order_by("customer__name"):
            yield wallet.pk, (wallet.customer.name, f"{wallet.balance} {wallet.currency}")

    def _page(self, request, queryset, *, action, title, intro, form) -> TemplateResponse:
        return action_form_page(
            self,
            request,
            action=action,
            title=title,
            intro=intro,
            form=form,
            columns=(_("Customer"), _("Balance")),
            rows=self._rows(queryset),
        )

    def _apply_to_each(self, request, queryset, *, form_class, action, title, intro, apply, done):
        """An action with a form: the form page, then `apply(wallet, cleaned_data)` per
        selected wallet; a refused one is reported, the others are done. `done`: the
        success message, `ngettext_lazy(..., "count")`."""
        form = bound_on_confirm(form_class, request)
        if not (form.is_bound and form.is_valid()):
            return self._page(request, queryset, action=action, title=title, intro=intro, form=form)
        count = 0
        for wallet in queryset.select_related("customer").order_by("pk"):
            try:
                apply(wallet, form.cleaned_data)
                count += 1
            except BillingError as exc:
                self.message_user(request, f"{wallet.customer}: {exc.message}", messages.ERROR)
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)
        return None

    @admin.action(description=_("Adjust the balance (with a reason)"), permissions=("change",))
    def adjust_balance(self, request: HttpRequest, queryset: QuerySet):
        return self._apply_to_each(
            request,
            queryset,
            form_class=AmountWithReasonForm,
            action="adjust_balance",
            title=_("Adjust the balance"),
            intro=_("A positive amount adds credit, a negative one takes it away."),
            apply=lambda wallet, data: services.adjust(wallet=wallet, actor=request.user, **data),
            done=ngettext_lazy(
                "%(count)d wallet adjusted.", "%(count)d wallets adjusted.", "count"
            ),
        )

    @admin.action(description=_("Refund credit to the customer"), permissions=("change",))
    def refund_credit(self, request: HttpRequest, queryset: QuerySet):
        return self._apply_to_each(
            request,
            queryset,
            form_class=AmountWithReasonForm,
            action="refund_credit",
            title=_("Refund credit"),
            intro=_("Records money paid back to the customer; send the transfer from the bank."),
            apply=lambda wallet, data: services.refund(wallet=wallet, actor=request.user, **data),
            done=ngettext_lazy(
                "%(count)d refund recorded.", "%(count)d refunds recorded.", "count"
            ),
        )

    @admin.action(description=_("Issue a top-up payment request"), permissions=("change",))
    def request_top_up(self, request: HttpRequest, queryset: QuerySet):
        return self._apply_to_each(
            request,
            queryset,
            form_class=TopUpForm,
            action="request_top_up",
            title=_("Issue a top-up payment request"),
            intro=_("The credit is added when the payment request is paid."),
            apply=lambda wallet, data: services.request_top_up(
                customer=wallet.customer, actor=request.user, **data
            ),
            done=ngettext_lazy(
                "%(count)d top-up payment request issued.",
                "%(count)d top-up payment requests issued.",
                "count",
            ),
        )

    def _set_active(self, request, queryset, *, active: bool):
        service = services.reactivate_wallet if active else services.deactivate_wallet
        return self._apply_to_each(
            request,
            queryset,
            form_class=ReasonForm,
            action="reactivate" if active else "deactivate",
            title=_("Reactivate wallets") if active else _("Deactivate wallets"),
            intro=_("The balance is kept either way; an inactive wallet pays nothing."),
            apply=lambda wallet, data: service(wallet=wallet, actor=request.user, **data),
            done=ngettext_lazy("%(count)d wallet changed.", "%(count)d wallets changed.", "count"),
        )

    @admin.action(description=_("Deactivate (keeps the balance)"), permissions=("change",))
    def deactivate(self, request: HttpRequest, queryset: QuerySet):
        return self._set_active(request, queryset, active=False)

    @admin.action(description=_("Reactivate"), permissions=("change",))
    def reactivate(self, request: HttpRequest, queryset: QuerySet):
        return self._set_active(request, queryset, active=True)

    @admin.action(description=_("Export ledger entries of a period (CSV)"))
    def export_entries(self, request: HttpRequest, queryset: QuerySet):
        form = bound_on_confirm(PeriodForm, request)
        if form.is_bound and form.is_valid():
            date_from: date = form.cleaned_data["date_from"]
            date_to: date = form.cleaned_data["date_to"]
            entries = statements.entries_between(date_from, date_to).filter(wallet__in=queryset)
            return _csv_response(
                statements.entries_csv(entries), f"credit-entries-{date_from}-{date_to}.csv"
            )
        return self._page(
            request,
            queryset,
            action="export_entries",
            title=_("Export ledger entries"),
            intro=_("Every entry of these wallets made in the period (days in Prague time)."),
            form=form,
        )

    @admin.action(description=_("Statement of a period (PDF)"))
    def download_statement(self, request: HttpRequest, queryset: QuerySet):
        if queryset.count() != 1:
            self.message_user(request, _("Select one wallet."), messages.ERROR)
            return None
        form = bound_on_confirm(PeriodForm, request)
        if not (form.is_bound and form.is_valid()):
            return self._page(
                request,
                queryset,
                action="download_statement",
                title=_("Statement of a period"),
                intro=_("Opening balance, every entry and the closing balance, as PDF."),
                form=form,
            )
        wallet = queryset.select_related("customer").get()
        statement = statements.wallet_statement(
            wallet, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        )
        response = HttpResponse(
            statements.render_statement_pdf(statement, wallet.customer.language),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{statements.statement_filename(statement)}"'
        )
        return response


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "wallet",
        "kind",
        "amount",
        "balance_after",
        "document",
        "actor_label",
        "reason",
    )
    list_filter = ("kind", "wallet__currency")
    list_select_related = ("wallet__customer", "document")
    search_fields = ("wallet__customer__name", "document__number", "source_key", "reason")
    date_hierarchy = "created_at"
    actions = ("export_selected", "reverse")

    @admin.action(description=_("Export selected entries (CSV)"))
    def export_selected(self, request: HttpRequest, queryset: QuerySet):
        return _csv_response(statements.entries_csv(queryset), "credit-entries.csv")

    @admin.action(description=_("Reverse (top-ups and charges)"))
    def reverse(self, request: HttpRequest, queryset: QuerySet):
        if not request.user.has_perm("credits.change_wallet"):
            self.message_user(request, _("You may not change credit wallets."), messages.ERROR)
            return None
        form = bound_on_confirm(ReasonForm, request)
        if form.is_bound and form.is_valid():
            reason, done = form.cleaned_data["reason"], 0
            for entry in queryset.order_by("pk"):
                try:
                    services.reverse_entry(entry=entry, actor=request.user, reason=reason)
                    done += 1
                except BillingError as exc:
                    self.message_user(request, f"#{entry.pk}: {exc.message}", messages.ERROR)
            if done:
                message = ngettext(
                    "%(count)d entry reversed.", "%(count)d entries reversed.", done
                ) % {"count": done}
                self.message_user(request, message, messages.SUCCESS)
            return None
        return action_form_page(
            self,
            request,
            action="reverse",
            title=_("Reverse ledger entries"),
            intro=_(
                "A reversal is a new entry of the opposite amount; the original stays. "
                "A charge of a paid document cannot be reversed: issue a credit note."
            ),
            form=form,
            columns=(_("Entry"), _("Amount"), _("Document")),
            rows=(
                (e.pk, (e.get_kind_display(), e.amount, e.document or "—"))
                for e in queryset.select_related("document").order_by("pk")
            ),
        )


@admin.register(MonthlyStatement)
class MonthlyStatementAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("period_start", "wallet", "claimed_at", "sent_at", "recipient")
    list_filter = ("period_start",)
    list_select_related = ("wallet__customer",)
    search_fields = ("wallet__customer__name", "recipient")

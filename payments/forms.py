"""Forms of the payments admin: statement upload, assigning and re-booking a payment,
reasons for returns and discards, the returns export and the account feed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from billing_portal.money import quantize
from invoices.models import BankAccount, Document

from .models import AccountFeed, Allocation, BankTransaction

MAX_UPLOAD_BYTES = 20 * 1024 * 1024

FORMAT_CHOICES = (
    ("auto", _("Detect automatically")),
    ("camt053", _("camt.053 (ISO 20022 statement)")),
    ("camt054", _("camt.054 (ISO 20022 notification)")),
    ("gpc", _("GPC / ABO statement")),
    ("mt940", _("SWIFT MT940")),
    ("fio-json", _("Fio API JSON")),
    ("csv", _("CSV (column mapping of the account)")),
)


class StatementUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_("At most 20 MB. The file is stored as received, also when it is rejected."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="auto")
    bank_account = forms.ModelChoiceField(
        label=_("Bank account (for CSV)"),
        queryset=BankAccount.objects.exclude(status=BankAccount.Status.CLOSED),
        required=False,
        help_text=_("A CSV file is read with the column mapping of this account's feed."),
    )
    register_account = forms.BooleanField(
        label=_("Register an unknown account"),
        required=False,
        help_text=_("Add an account of the file that is not one of ours yet (by its IBAN)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file has %(size)s bytes; at most %(limit)s bytes can be uploaded."),
                code="too_large",
                params={"size": upload.size, "limit": MAX_UPLOAD_BYTES},
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        return upload

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        account = data.get("bank_account")
        self.csv_mapping = None
        if account is not None:
            feed = AccountFeed.objects.filter(bank_account=account).first()
            self.csv_mapping = feed.csv_mapping if feed else None
        if data.get("format") == "csv":
            if account is None:
                self.add_error("bank_account", _("Choose the account whose CSV mapping to use."))
            elif not self.csv_mapping:
                self.add_error(
                    "bank_account",
                    _("This account has no CSV column mapping: set it on its account feed."),
                )
        return data


def document_by_number(number: str) -> Document:
    number = number.strip()
    document = Document.objects.filter(number=number).first()
    if document is None:
        raise forms.ValidationError(
            _("No document has the number %(number)s."),
            code="unknown_document",
            params={"number": number},
        )
    return document


class AssignLineForm(forms.Form):
    document = forms.CharField(label=_("Document number"), max_length=20)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=Decimal("0.01")
    )

    def clean_document(self) -> Document:
        return document_by_number(self.cleaned_data["document"])

    def clean_amount(self) -> Decimal:
        return quantize(self.cleaned_data["amount"])


class BaseAssignLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: set[int] = set()
        lines = 0
        for form in self.forms:
            document = form.cleaned_data.get("document")
            if document is None:
                continue
            if document.pk in seen:
                raise forms.ValidationError(
                    _("Document %(number)s is listed twice: put its whole part on one line."),
                    params={"number": document.number},
                )
            seen.add(document.pk)
            lines += 1
        if not lines:
            raise forms.ValidationError(_("Enter at least one document and amount."))

    def splits(self) -> list[tuple[Document, Decimal]]:
        return [
            (form.cleaned_data["document"], form.cleaned_data["amount"])
            for form in self.forms
            if form.cleaned_data.get("document") is not None
        ]


AssignLineFormSet = forms.formset_factory(
    AssignLineForm, formset=BaseAssignLineFormSet, extra=3, max_num=20, validate_max=True
)


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_("Recorded with the allocations and in the audit log."),
    )


class RebookForm(forms.Form):
    allocation = forms.ModelChoiceField(label=_("Allocation to move"), queryset=Allocation.objects)
    document = forms.CharField(label=_("Target document number"), max_length=20)
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_("Why the payment is re-booked; recorded in the audit log."),
    )

    def __init__(self, *args: Any, tx: BankTransaction, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["allocation"]
        field.queryset = (
            Allocation.objects.filter(transaction=tx, amount__gt=0)
            .select_related("document")
            .order_by("pk")
        )
        field.label_from_instance = lambda a: (
            f"{a.document.number}: {a.amount} {tx.currency} ({a.get_rule_display()}, "
            f"{a.created_at:%Y-%m-%d})"
        )

    def clean_document(self) -> Document:
        return document_by_number(self.cleaned_data["document"])


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Recorded in the audit log."),
    )


class CreditToWalletForm(forms.Form):
    contract = forms.CharField(
        label=_("Contract number"),
        max_length=20,
        help_text=_("The credit goes to the wallet of this contract's customer."),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Recorded with the credit entry and in the audit log."),
    )

    def clean_contract(self):
        from accounts.models import Contract

        number = self.cleaned_data["contract"].strip().upper()
        contract = Contract.objects.select_related("customer").filter(number=number).first()
        if contract is None:
            raise forms.ValidationError(_("No contract with this number exists."))
        return contract


class ExportReturnsForm(forms.Form):
    currency = forms.ChoiceField(
        label=_("Currency"),
        choices=(
            ("EUR", _("EUR: SEPA credit transfer (pain.001)")),
            ("CZK", _("CZK: domestic payment order (ABO/KPC)")),
        ),
    )


class AccountFeedForm(forms.ModelForm):
    """The Fio token is never shown again: a blank field keeps the stored one."""

    fio_token = forms.CharField(
        label=_("Fio API token"),
        max_length=100,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Leave blank to keep the current token."),
    )
    clear_fio_token = forms.BooleanField(label=_("Remove the Fio API token"), required=False)

    class Meta:
        model = AccountFeed
        fields = ("bank_account", "fio_token", "fio_fetched_until", "csv_mapping")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("clear_fio_token"):
            data["fio_token"] = ""
        elif not (data.get("fio_token") or "").strip():
            data["fio_token"] = self.instance.fio_token if self.instance.pk else ""
        else:
            data["fio_token"] = data["fio_token"].strip()
        return data

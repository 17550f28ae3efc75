"""The customer portal's forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class PortalLoginForm(forms.Form):
    contract_number = forms.CharField(label=_("Contract number"), max_length=20)
    email = forms.EmailField(label=_("E-mail of the authorized person"))
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


class CreditSettingsForm(forms.Form):
    auto_pay_by_credit = forms.BooleanField(
        label=_("Pay renewals automatically by credit"), required=False
    )
    payment_request_emails = forms.BooleanField(
        label=_("E-mail me payment requests and reminders"), required=False
    )
    monthly_statement = forms.BooleanField(
        label=_("E-mail me a monthly statement of my credit"), required=False
    )
    low_balance_threshold = forms.DecimalField(
        label=_("Alert me when the balance falls below"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
    )


class TopUpForm(forms.Form):
    net_amount = forms.DecimalField(
        label=_("Amount of credit to add (without VAT)"),
        min_value=1,
        max_value=1_000_000,
        max_digits=14,
        decimal_places=2,
    )


class EntriesPeriodForm(forms.Form):
    date_from = forms.DateField(label=_("From"))
    date_to = forms.DateField(label=_("To"))

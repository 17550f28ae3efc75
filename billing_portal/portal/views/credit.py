"""The credit wallet: balance, latest entries and the customer's switches; a top-up
request; the entries of a period as CSV and the statement of a period as PDF."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing_portal.errors import BillingError
from credits.selectors import recent_entries, wallet_or_empty
from credits.services import request_top_up, update_credit_settings
from credits.statements import (
    entries_between,
    entries_csv,
    render_statement_pdf,
    statement_filename,
    wallet_statement,
)

from ..access import portal_context, portal_login_required
from ..forms import CreditSettingsForm, EntriesPeriodForm, TopUpForm

ENTRIES_ON_PAGE = 50


@never_cache
@require_http_methods(["GET", "POST"])
@portal_login_required
def credit_view(request: HttpRequest) -> HttpResponse:
    context = portal_context(request)
    customer = context["customer"]
    wallet = wallet_or_empty(customer)
    initial = {
        "auto_pay_by_credit": customer.auto_pay_by_credit,
        "payment_request_emails": customer.payment_request_emails,
        "monthly_statement": wallet.monthly_statement,
        "low_balance_threshold": wallet.low_balance_threshold,
    }
    form = CreditSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        update_credit_settings(customer=customer, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Your settings have been saved."))
        return redirect("portal:credit")
    context.update(
        wallet=wallet,
        form=form,
        period_form=EntriesPeriodForm(),
        top_up_form=TopUpForm(),
        entries=recent_entries(wallet, ENTRIES_ON_PAGE),
    )
    return render(request, "portal/credit.html", context)


@require_POST
@portal_login_required
def credit_top_up_view(request: HttpRequest) -> HttpResponse:
    """Ask for a top-up: a payment request is issued (and e-mailed, unless the
    customer switched payment-request e-mails off); the credit comes when it is paid."""
    form = TopUpForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("portal:credit")
    contract = request.portal_person.contract
    try:
        document = request_top_up(
            customer=contract.customer,
            contract=contract,
            net_amount=form.cleaned_data["net_amount"],
            actor=request.user,
        )
    except BillingError as exc:
        messages.error(request, exc.message)
        return redirect("portal:credit")
    messages.success(
        request,
        _(
            "Payment request %(number)s for %(amount)s %(currency)s has been issued; the "
            "credit is added when it is paid (variable symbol %(vs)s)."
        )
        % {
            "number": document.number,
            "amount": document.total_gross,
            "currency": document.currency,
            "vs": document.variable_symbol,
        },
    )
    return redirect("portal:documents")


@never_cache
@require_GET
@portal_login_required
def credit_entries_csv_view(request: HttpRequest) -> HttpResponse:
    form = EntriesPeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Enter a valid period."))
        return redirect("portal:credit")
    date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    customer = request.portal_person.contract.customer
    entries = entries_between(date_from, date_to).filter(wallet__customer=customer)
    response = HttpResponse("\ufeff" + entries_csv(entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"credit-{date_from}-{date_to}.csv"
    )
    return response


@never_cache
@require_GET
@portal_login_required
def credit_statement_pdf_view(request: HttpRequest) -> HttpResponse:
    """The statement of the customer's credit for a period, as PDF."""
    form = EntriesPeriodForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Enter a valid period."))
        return redirect("portal:credit")
    customer = request.portal_person.contract.customer
    statement = wallet_statement(
        wallet_or_empty(customer), form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    )
    response = HttpResponse(
        render_statement_pdf(statement, translation.get_language() or customer.language),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=statement_filename(statement)
    )
    return response

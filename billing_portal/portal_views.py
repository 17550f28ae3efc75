"""The customer portal: login (contract number + e-mail + password), the contract's
documents with their PDFs, the credit wallet (balance, entries, CSV, the customer's
switches), the one-time "do not charge automatically" on a request, logout.

A portal session belongs to one authorized person and so to one contract; every
page reads that contract from the person (never from the URL), so a document of
another contract is simply not found (404). A person deactivated while logged in
loses access at the next request.

A blocked contract's portal is limited to paying (domain.md, "Dunning and
blocking"): every page shows a banner with the blocking message (with the unblock
date when one is scheduled) and the overdue documents to pay, and the documents list
puts the unpaid ones first. The documents list and the PDFs stay available: that is
how the customer pays. Pages added later must render with `portal_context`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import AuthorizedPerson
from accounts.portal import (
    LOGIN_FAILED_MESSAGE,
    PortalLoginThrottled,
    authenticate_portal_user,
    portal_person_of,
)
from accounts.selectors import contract_blocking
from invoices.models import OPEN_STATUSES, Document, DocumentKind
from invoices.selectors import contract_documents

# Portal users log in through `authenticate_portal_user`; the session is then kept
# by Django's ModelBackend (it is in the default AUTHENTICATION_BACKENDS).
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"
DOCUMENTS_PER_PAGE = 50


class PortalLoginForm(forms.Form):
    contract_number = forms.CharField(label=_("Contract number"), max_length=20)
    email = forms.EmailField(label=_("E-mail of the authorized person"))
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)


def client_ip(request: HttpRequest) -> str:
    """The address the request came from. Behind a reverse proxy, REMOTE_ADDR must be
    set to the real client address by the server (a forwarded header that anybody
    can send is deliberately not trusted here)."""
    return request.META.get("REMOTE_ADDR", "")


def portal_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Let through a logged-in, active authorized person; put it on `request.portal_person`."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        person = portal_person_of(request.user)
        if person is None:
            if AuthorizedPerson.objects.filter(
                user_id=getattr(request.user, "pk", None), active=False
            ).exists():
                logout(request)  # deactivated while logged in
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        request.portal_person = person
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:documents")


def portal_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """What every page of a logged-in person renders with: the person, the contract,
    the customer and, when the contract is blocked, the blocking and the overdue
    documents (for the banner of portal/base.html)."""
    person: AuthorizedPerson = request.portal_person
    contract = person.contract
    blocking = contract_blocking(contract)
    overdue = (
        Document.objects.overdue(timezone.localdate())
        .filter(contract=contract)
        .order_by("due_date", "number")
        if blocking is not None
        else Document.objects.none()
    )
    return {
        "person": person,
        "contract": contract,
        "customer": contract.customer,
        "blocking": blocking,
        "overdue_documents": list(overdue),
        **extra,
    }


def unpaid_first(documents: QuerySet[Document]) -> QuerySet[Document]:
    """The same documents, those the customer still has to pay first."""
    payable = Q(status__in=OPEN_STATUSES) & ~Q(kind=DocumentKind.CREDIT_NOTE)
    ordering = documents.query.order_by or Document._meta.ordering
    return documents.annotate(
        unpaid_rank=Case(
            When(payable, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("unpaid_rank", *ordering)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and portal_person_of(request.user) is not None:
        return redirect("portal:documents")
    form = PortalLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate_portal_user(
                contract_number=form.cleaned_data["contract_number"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                client_ip=client_ip(request),
            )
        except PortalLoginThrottled as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            if user is not None:
                login(request, user, backend=SESSION_BACKEND)
                return redirect(_safe_next(request))
            form.add_error(None, LOGIN_FAILED_MESSAGE)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "portal/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have been logged out."))
    return redirect("portal:login")


@never_cache
@require_GET
@portal_login_required
def documents_view(request: HttpRequest) -> HttpResponse:
    context = portal_context(request, today=timezone.localdate())
    documents = contract_documents(context["contract"])
    if context["blocking"] is not None:
        documents = unpaid_first(documents)
    context["page"] = Paginator(documents, DOCUMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/documents.html", context)


@never_cache
@require_GET
@portal_login_required
def document_pdf_view(request: HttpRequest, number: str) -> HttpResponse:
    person: AuthorizedPerson = request.portal_person
    document = get_object_or_404(Document, contract=person.contract, number=number)
    from invoices.pdf import pdf_filename, render_document_pdf

    response = HttpResponse(render_document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=pdf_filename(document)
    )
    return response


# --- credit ------------------------------------------------------------------------

ENTRIES_ON_PAGE = 50


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


@never_cache
@require_http_methods(["GET", "POST"])
@portal_login_required
def credit_view(request: HttpRequest) -> HttpResponse:
    from credits.selectors import recent_entries, wallet_or_empty
    from credits.services import update_credit_settings

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
    from billing_portal.errors import BillingError
    from credits.services import request_top_up

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
    from credits.statements import entries_between, entries_csv

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
    from credits.selectors import wallet_or_empty
    from credits.statements import render_statement_pdf, statement_filename, wallet_statement

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


@require_POST
@portal_login_required
def opt_out_view(request: HttpRequest, number: str) -> HttpResponse:
    """The one-time "do not charge automatically" on one payment request."""
    from billing_portal.errors import BillingError
    from credits.autopay import opt_out_of_auto_charge

    document = get_object_or_404(Document, contract=request.portal_person.contract, number=number)
    try:
        opt_out_of_auto_charge(request=document, actor=request.user)
    except BillingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(number)s will not be charged from your credit; please pay it by transfer.")
            % {"number": document.number},
        )
    return redirect("portal:documents")

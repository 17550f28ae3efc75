"""The contract's documents: the list (unpaid first while the contract is blocked:
that is how the customer pays), a document's PDF, and the one-time "do not charge
automatically" on a payment request."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import AuthorizedPerson
from billing_portal.errors import BillingError
from credits.autopay import opt_out_of_auto_charge
from invoices import pdf
from invoices.models import OPEN_STATUSES, Document, DocumentKind
from invoices.selectors import contract_documents

from ..access import portal_context, portal_login_required

DOCUMENTS_PER_PAGE = 50


def unpaid_first(documents: QuerySet[Document]) -> QuerySet[Document]:
    """The same documents, those the customer still has to pay first."""
    payable = Q(status__in=OPEN_STATUSES) & ~Q(kind=DocumentKind.CREDIT_NOTE)
    ordering = documents.query.order_by or Document._meta.ordering
    return documents.annotate(
        unpaid_rank=Case(
            When(payable, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("unpaid_rank", *ordering)


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
    response = HttpResponse(pdf.render_document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=pdf.pdf_filename(document)
    )
    return response


@require_POST
@portal_login_required
def opt_out_view(request: HttpRequest, number: str) -> HttpResponse:
    """The one-time "do not charge automatically" on one payment request."""
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

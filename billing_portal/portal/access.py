"""Who may see a portal page, and what every page renders with.

A portal session belongs to one authorized person and so to one contract; every
page reads that contract from the person (never from the URL), so a document of
another contract is simply not found (404). A person deactivated while logged in
loses access at the next request.

A blocked contract's portal is limited to paying (domain.md, "Dunning and
blocking"): every page shows a banner with the blocking message (with the unblock
date when one is scheduled) and the overdue documents to pay. Pages added later
must render with `portal_context`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuthorizedPerson
from accounts.portal_login import portal_person_of
from accounts.selectors import contract_blocking
from invoices.models import Document


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

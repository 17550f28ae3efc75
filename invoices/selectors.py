"""Reads of documents that more than one interface needs."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Contract

from .models import Document


def contract_documents(contract: Contract) -> QuerySet[Document]:
    """What the customer sees in the portal: every document of the contract, newest first."""
    return Document.objects.filter(contract=contract).order_by("-issue_date", "-number")

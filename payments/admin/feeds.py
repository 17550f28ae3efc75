"""Admin of account feeds (Fio token, CSV mapping)."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.admin_audit import AuditedAdmin
from accounts.services import snapshot, write_audit

from ..forms import (
    AccountFeedForm,
)
from ..models import (
    AccountFeed,
)

# --- account feeds ---------------------------------------------------------------------


def _mask(token: str) -> str:
    if not token:
        return ""
    return "••••" + (token[-4:] if len(token) > 12 else "")


def _masked_snapshot(feed: AccountFeed | None) -> dict | None:
    data = snapshot(feed)
    if data and data.get("fio_token"):
        data["fio_token"] = _mask(data["fio_token"])
    return data


@admin.register(AccountFeed)
class AccountFeedAdmin(AuditedAdmin):
    """Audited like every edited model, but the token never reaches the audit log."""

    form = AccountFeedForm
    list_display = ("bank_account", "fio_token_masked", "fio_fetched_until", "has_csv_mapping")
    list_select_related = ("bank_account",)
    search_fields = ("bank_account__name", "bank_account__iban")

    @admin.display(description=_("Fio API token"))
    def fio_token_masked(self, obj: AccountFeed) -> str:
        return _mask(obj.fio_token) or "—"

    @admin.display(description=_("CSV mapping"), boolean=True)
    def has_csv_mapping(self, obj: AccountFeed) -> bool:
        return bool(obj.csv_mapping)

    def save_model(self, request, obj, form, change) -> None:
        stored = AccountFeed.objects.filter(pk=obj.pk).first() if change else None
        before = _masked_snapshot(stored)
        with self._atomic():
            obj.save()
            after = _masked_snapshot(obj)
            token_changed = stored is not None and stored.fio_token != obj.fio_token
            if change and before == after and not token_changed:
                return
            write_audit(
                event=f"accountfeed.{'changed' if change else 'created'}",
                subject=obj,
                actor=request.user,
                before=before,
                after=after,
                note="Fio token changed" if token_changed else "",
            )

    def delete_model(self, request, obj) -> None:
        with self._atomic():
            write_audit(
                event="accountfeed.deleted",
                subject=obj,
                actor=request.user,
                before=_masked_snapshot(obj),
            )
            obj.delete()

    def delete_queryset(self, request, queryset) -> None:
        with transaction.atomic():
            for obj in queryset:
                write_audit(
                    event="accountfeed.deleted",
                    subject=obj,
                    actor=request.user,
                    before=_masked_snapshot(obj),
                )
            queryset.delete()

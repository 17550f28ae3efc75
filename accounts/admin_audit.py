"""`AuditedAdmin`: every change staff make through the admin writes an AuditLog row.

Events are "<model>.created", "<model>.changed" and "<model>.deleted" (the model's
`model_name`, e.g. "customer.changed", "productprice.deleted"), with the staff user
as the actor and JSON snapshots of the stored row before and after. Inline rows
(formsets) are audited the same way, each with its own row.

The audit row is written in the same transaction as the change: the admin's change
and delete views already run in `transaction.atomic`; bulk deletes are wrapped here.
A `BillingError` raised by a model (e.g. `CurrencyLocked`) is shown as an error
message instead of a server error, and the transaction rolls back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models, router, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from billing_portal.errors import BillingError

from .services import snapshot, write_audit


def _event(instance: models.Model, what: str) -> str:
    return f"{instance._meta.model_name}.{what}"


def _stored(instance: models.Model) -> models.Model | None:
    """The row as it is in the database now (the form has already changed `instance`)."""
    if instance.pk is None:
        return None
    return type(instance)._base_manager.filter(pk=instance.pk).first()


class AuditedAdmin(admin.ModelAdmin):
    """ModelAdmin whose saves and deletes (also of inline rows) write AuditLog rows."""

    def _atomic(self):
        return transaction.atomic(using=router.db_for_write(self.model))

    # --- the object itself ---------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        before = snapshot(_stored(obj)) if change else None
        with self._atomic():
            super().save_model(request, obj, form, change)
            after = snapshot(obj)
            if change and before == after:
                return  # "Save" without any change: nothing to record
            write_audit(
                event=_event(obj, "changed" if change else "created"),
                subject=obj,
                actor=request.user,
                before=before,
                after=after,
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        # Written first, while the object still has its pk; a failing delete rolls
        # the audit row back with it.
        with self._atomic():
            write_audit(
                event=_event(obj, "deleted"),
                subject=obj,
                actor=request.user,
                before=snapshot(obj),
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        with self._atomic():
            for obj in queryset:
                write_audit(
                    event=_event(obj, "deleted"),
                    subject=obj,
                    actor=request.user,
                    before=snapshot(obj),
                )
            super().delete_queryset(request, queryset)

    # --- inline rows -----------------------------------------------------------------

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        model = formset.model
        existing = [f.instance.pk for f in formset.initial_forms if f.instance.pk is not None]
        stored = {row.pk: snapshot(row) for row in model._base_manager.filter(pk__in=existing)}
        parent = form.instance
        note = f"{parent._meta.model_name} {parent.pk}: {parent}"[:200]
        with self._atomic():
            for deleted_form in formset.deleted_forms:
                row = deleted_form.instance
                if row.pk is None or row.pk not in stored:
                    continue
                write_audit(
                    event=_event(row, "deleted"),
                    subject=row,
                    actor=request.user,
                    before=stored[row.pk],
                    note=note,
                )
            super().save_formset(request, form, formset, change)
            for row in formset.new_objects:
                write_audit(
                    event=_event(row, "created"),
                    subject=row,
                    actor=request.user,
                    after=snapshot(row),
                    note=note,
                )
            for row, _changed_fields in formset.changed_objects:
                after = snapshot(row)
                if stored.get(row.pk) == after:
                    continue
                write_audit(
                    event=_event(row, "changed"),
                    subject=row,
                    actor=request.user,
                    before=stored.get(row.pk),
                    after=after,
                    note=note,
                )

    # --- domain errors as messages -------------------------------------------------

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except BillingError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except BillingError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

"""Admin of customers, contracts, authorized persons, subscriptions, contract blocks,
the audit log and job runs. Every change made here writes an AuditLog row
(`AuditedAdmin`); the audit log and job runs themselves are read-only.

Contract blocks are never typed in: staff block a contract (manual or legal reasons)
with the "Block contract" action of the contract list, and lift a block with the
"Lift block" action of the block list, which only users with the permission
`accounts.unblock_contract` are offered. Both actions ask for a note and call
`accounts.services`, which write the audit rows; a domain error becomes a message.

A customer's written cancellation of a service is entered with the "Request
cancellation" action of the subscription list: it asks for the date the request
arrived and calls the `request_cancellation` hook for each subscription (its owner,
`invoices.lifecycle`, withdraws the renewal requests: accounts does not import it),
reporting its last day of service (or the domain error) as a message.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing_portal import hooks
from billing_portal.admin_helpers import (
    ViewOnlyMixin,
    action_form_page,
    bound_on_confirm,
    null_filter,
)
from billing_portal.errors import BillingError
from billing_portal.workdays import business_today

from . import services
from .admin_audit import AuditedAdmin
from .models import (
    AuditLog,
    AuthorizedPerson,
    Contract,
    ContractBlock,
    Customer,
    JobRun,
    Subscription,
)
from .selectors import Blocking, contract_blocking


def pretty_json(value: Any) -> str:
    if value in (None, "", {}, []):
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html('<pre style="margin: 0; white-space: pre-wrap;">{}</pre>', text)


class ReadOnlyAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Nothing can be added, changed or deleted; the change page is a view page."""


def _short_date(value: date | None) -> str:
    return date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def describe_blocking(blocking: Blocking | None) -> str:
    """One line for staff: since when, why and until when a contract is blocked."""
    if blocking is None:
        return str(_("Not blocked"))
    reasons = ", ".join(str(ContractBlock.Reason(reason).label) for reason in blocking.reasons)
    values = {"since": _short_date(blocking.since), "reasons": reasons}
    if blocking.expected_unblock_on is not None:
        return str(
            _("Blocked since %(since)s (%(reasons)s); unblock on %(date)s")
            % {**values, "date": _short_date(blocking.expected_unblock_on)}
        )
    return str(_("Blocked since %(since)s (%(reasons)s); no unblocking scheduled") % values)


class BlockContractForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (reason.value, reason.label)
            for reason in (ContractBlock.Reason.MANUAL, ContractBlock.Reason.LEGAL)
        ],
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_(
            "Why the contract is blocked; recorded with the block and in the audit log. "
            "Only staff can lift such a block: payments never do."
        ),
    )


class LiftBlockForm(forms.Form):
    note = forms.CharField(
        label=_("Reason for lifting"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("Recorded with the block and in the audit log."),
    )


class RequestCancellationForm(forms.Form):
    requested_on = forms.DateField(
        label=_("Request received on"),
        initial=business_today,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "The day the customer's written request arrived; it decides whether the "
            "notice period is kept."
        ),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text=_("E.g. how the request arrived; recorded in the audit log."),
    )

    def clean_requested_on(self) -> date:
        requested_on = self.cleaned_data["requested_on"]
        if requested_on > business_today():
            raise forms.ValidationError(_("The request cannot have arrived in the future."))
        return requested_on


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin):
    list_display = (
        "name",
        "kind",
        "ico",
        "dic",
        "country",
        "currency",
        "invoice_delivery",
        "payment_method",
        "vat_payer",
    )
    list_filter = ("kind", "country", "currency", "invoice_delivery", "payment_method", "vat_payer")
    search_fields = ("name", "ico", "dic", "email")
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("kind", "name", "ico", "dic", "vat_payer", "currency", "created_at")}),
        (_("Address"), {"fields": ("street", "city", "postal_code", "country", "language")}),
        (
            _("Invoicing"),
            {
                "fields": (
                    "email",
                    "invoice_delivery",
                    "einvoice_address",
                    "einvoice_operator",
                    "payment_method",
                    "payment_request_emails",
                    "auto_pay_by_credit",
                )
            },
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The currency is fixed when the account is created (domain: credit wallet).
            fields += ("currency",)
        return fields


class AuthorizedPersonInline(admin.TabularInline):
    model = AuthorizedPerson
    extra = 0
    fields = ("name", "email", "phone", "active", "user")
    raw_id_fields = ("user",)


class ContractBlockInline(ViewOnlyMixin, admin.TabularInline):
    """The contract's blocks, lifted ones included; a view, never an editor."""

    model = ContractBlock
    extra = 0
    can_delete = False
    show_change_link = True
    fields = (
        "reason",
        "blocked_on",
        "set_by_label",
        "note",
        "unblock_on",
        "lifted_at",
        "lifted_by_label",
        "lift_note",
        "revoked_at",
    )
    readonly_fields = fields
    ordering = ("-blocked_on", "-pk")


@admin.register(Contract)
class ContractAdmin(AuditedAdmin):
    list_display = ("number", "customer", "customer_ico", "status", "signed_on", "created_at")
    list_filter = ("status", "customer__country")
    list_select_related = ("customer",)
    search_fields = ("number", "customer__name", "customer__ico")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at", "blocking_state")
    inlines = (AuthorizedPersonInline, ContractBlockInline)
    actions = ("block_contracts",)

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None or request.method == "POST":
            # The blocks are only shown: a new contract has none, and a save has no
            # rows of theirs to validate (nor a management form to require).
            inlines = [inline for inline in inlines if not isinstance(inline, ContractBlockInline)]
        return inlines

    @admin.display(description=_("company ID (IČO)"), ordering="customer__ico")
    def customer_ico(self, obj: Contract) -> str:
        return obj.customer.ico

    @admin.display(description=_("blocking"))
    def blocking_state(self, obj: Contract | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        return describe_blocking(contract_blocking(obj))

    @admin.action(description=_("Block contract (manual/legal)"), permissions=("change",))
    def block_contracts(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        form = bound_on_confirm(BlockContractForm, request)
        if form.is_bound and form.is_valid():
            self._block(request, queryset, form.cleaned_data["reason"], form.cleaned_data["note"])
            return None
        contracts = queryset.select_related("customer").order_by("number")
        return action_form_page(
            self,
            request,
            action="block_contracts",
            title=_("Block contract (manual/legal)"),
            intro=_(
                "These contracts will be blocked: no certificates are issued or renewed "
                "and the customer portal is limited to paying until staff lift the block."
            ),
            form=form,
            columns=(_("Contract"), _("Customer"), _("Blocking")),
            rows=(
                (c.pk, (c.number, c.customer.name, describe_blocking(contract_blocking(c))))
                for c in contracts
            ),
        )

    def _block(self, request: HttpRequest, queryset: QuerySet, reason: str, note: str) -> None:
        blocked = 0
        for contract in queryset.order_by("pk"):
            if ContractBlock.objects.filter(
                contract=contract, reason=reason, lifted_at__isnull=True
            ).exists():
                self.message_user(
                    request,
                    _("%(contract)s is already blocked for this reason.")
                    % {"contract": contract.number},
                    level=messages.WARNING,
                )
                continue
            try:
                services.block_contract(
                    contract=contract, reason=reason, actor=request.user, note=note
                )
            except BillingError as error:
                self.message_user(
                    request,
                    _("%(contract)s: %(message)s")
                    % {"contract": contract.number, "message": error.message},
                    level=messages.ERROR,
                )
                continue
            blocked += 1
        if blocked:
            self.message_user(
                request,
                ngettext("%(count)d contract blocked.", "%(count)d contracts blocked.", blocked)
                % {"count": blocked},
                level=messages.SUCCESS,
            )


@admin.register(AuthorizedPerson)
class AuthorizedPersonAdmin(AuditedAdmin):
    list_display = ("name", "email", "phone", "contract", "customer", "active", "user")
    list_filter = ("active",)
    list_select_related = ("contract__customer", "user")
    search_fields = ("name", "email", "contract__number", "contract__customer__name")
    autocomplete_fields = ("contract",)
    raw_id_fields = ("user",)

    @admin.display(description=_("customer"), ordering="contract__customer__name")
    def customer(self, obj: AuthorizedPerson) -> Customer:
        return obj.contract.customer


@admin.register(Subscription)
class SubscriptionAdmin(AuditedAdmin):
    list_display = (
        "label",
        "contract",
        "customer",
        "product",
        "valid_until",
        "billing_period_months",
        "status",
        "cancellation_requested_on",
        "ends_on",
    )
    list_filter = ("status", "product__kind")
    list_select_related = ("contract__customer", "product")
    search_fields = ("label", "contract__number")
    autocomplete_fields = ("contract", "product")
    # A cancellation is entered only with the "Request cancellation" action.
    readonly_fields = (
        "renewal_requested_for",
        "cancellation_requested_on",
        "ends_on",
        "created_at",
    )
    date_hierarchy = "valid_until"
    actions = ("request_cancellations",)

    @admin.display(description=_("customer"), ordering="contract__customer__name")
    def customer(self, obj: Subscription) -> Customer:
        return obj.contract.customer

    @admin.action(description=_("Request cancellation"), permissions=("change",))
    def request_cancellations(
        self, request: HttpRequest, queryset: QuerySet
    ) -> TemplateResponse | None:
        form = bound_on_confirm(RequestCancellationForm, request)
        if form.is_bound and form.is_valid():
            self._cancel(
                request,
                queryset,
                form.cleaned_data["requested_on"],
                form.cleaned_data["note"],
            )
            return None
        subscriptions = queryset.select_related("contract__customer").order_by("label", "pk")
        return action_form_page(
            self,
            request,
            action="request_cancellations",
            title=_("Request cancellation"),
            intro=_(
                "The customer's written cancellation of these services. A request that "
                "arrives at least the notice period before the next billing period ends "
                "the service with the current period, a later one with the following "
                "period; renewal payment requests for periods after the last day are "
                "cancelled or credited."
            ),
            form=form,
            columns=(
                _("Subscription"),
                _("Contract"),
                _("Customer"),
                _("Valid until"),
                _("Ends on"),
            ),
            rows=(
                (
                    s.pk,
                    (
                        s.label,
                        s.contract.number,
                        s.contract.customer.name,
                        _short_date(s.valid_until),
                        _short_date(s.ends_on),
                    ),
                )
                for s in subscriptions
            ),
        )

    def _cancel(
        self, request: HttpRequest, queryset: QuerySet, requested_on: date, note: str
    ) -> None:
        for subscription in queryset.order_by("label", "pk"):
            try:
                with transaction.atomic():
                    ends_on = hooks.request_cancellation.call(
                        subscription=subscription, requested_on=requested_on, actor=request.user
                    )
                    if note:
                        services.write_audit(
                            event="subscription.cancellation_note",
                            subject=subscription,
                            actor=request.user,
                            after={
                                "requested_on": requested_on.isoformat(),
                                "ends_on": ends_on.isoformat(),
                            },
                            note=note,
                        )
            except BillingError as error:
                self.message_user(
                    request,
                    _("%(label)s: %(message)s")
                    % {"label": subscription.label, "message": error.message},
                    level=messages.ERROR,
                )
                continue
            self.message_user(
                request,
                _("%(label)s: service ends on %(date)s")
                % {"label": subscription.label, "date": date_format(ends_on, "d.m.Y")},
                level=messages.SUCCESS,
            )


BlockStateFilter = null_filter(
    "lifted_at",
    title=_("state"),
    parameter="state",
    set_choice=("lifted", _("Lifted")),
    unset_choice=("active", _("Active")),
)
UnblockScheduledFilter = null_filter(
    "unblock_on",
    title=_("unblock scheduled"),
    parameter="unblock_scheduled",
    set_choice=("yes", _("Yes")),
    unset_choice=("no", _("No")),
)


@admin.register(ContractBlock)
class ContractBlockAdmin(ReadOnlyAdmin):
    """Blocks are set by the dunning job or the contract action, lifted by the job
    (overdue, on `unblock_on`) or by the "Lift block" action here."""

    list_display = (
        "contract",
        "customer",
        "reason",
        "blocked_on",
        "unblock_on",
        "active",
        "lifted_at",
        "set_by_label",
        "revoked_at",
    )
    list_filter = ("reason", BlockStateFilter, UnblockScheduledFilter)
    list_select_related = ("contract__customer",)
    search_fields = ("contract__number", "contract__customer__name", "contract__customer__ico")
    date_hierarchy = "blocked_on"
    actions = ("lift_blocks",)
    fields = (
        "contract",
        "reason",
        "blocked_on",
        "created_at",
        "set_by_label",
        "note",
        "documents_list",
        "unblock_on",
        "lifted_at",
        "lifted_by_label",
        "lift_note",
        "revoked_at",
    )
    readonly_fields = fields

    def has_unblock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.unblock_contract")

    def get_actions(self, request: HttpRequest):
        # "Lift block" is offered only with accounts.unblock_contract (its
        # `permissions`); nothing is deleted in bulk.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("customer"), ordering="contract__customer__name")
    def customer(self, obj: ContractBlock) -> Customer:
        return obj.contract.customer

    @admin.display(description=_("active"), boolean=True)
    def active(self, obj: ContractBlock) -> bool:
        return obj.is_active

    @admin.display(description=_("overdue documents"))
    def documents_list(self, obj: ContractBlock) -> str:
        return ", ".join(str(number) for number in obj.documents) or "—"

    @admin.action(description=_("Lift block"), permissions=("unblock",))
    def lift_blocks(self, request: HttpRequest, queryset: QuerySet) -> TemplateResponse | None:
        form = bound_on_confirm(LiftBlockForm, request)
        if form.is_bound and form.is_valid():
            self._lift(request, queryset, form.cleaned_data["note"])
            return None
        blocks = queryset.select_related("contract__customer").order_by("pk")
        return action_form_page(
            self,
            request,
            action="lift_blocks",
            title=_("Lift block"),
            intro=_(
                "These blocks will be lifted now. An overdue block is lifted by itself on "
                "its unblock date; earlier unblocking is granted only exceptionally."
            ),
            form=form,
            columns=(_("Contract"), _("Customer"), _("Reason"), _("Blocked on"), _("Unblock on")),
            rows=(
                (
                    b.pk,
                    (
                        b.contract.number,
                        b.contract.customer.name,
                        b.get_reason_display(),
                        _short_date(b.blocked_on),
                        _short_date(b.unblock_on),
                    ),
                )
                for b in blocks
            ),
        )

    def _lift(self, request: HttpRequest, queryset: QuerySet, note: str) -> None:
        lifted = 0
        for block in queryset.select_related("contract").order_by("pk"):
            if not block.is_active:
                self.message_user(
                    request,
                    _("%(block)s: the block is already lifted.") % {"block": block},
                    level=messages.WARNING,
                )
                continue
            try:
                services.lift_block(block=block, actor=request.user, note=note)
            except PermissionDenied as error:
                self.message_user(
                    request, str(error) or _("Permission denied."), level=messages.ERROR
                )
                return  # the same for every other block
            except BillingError as error:
                self.message_user(
                    request,
                    _("%(block)s: %(message)s") % {"block": block, "message": error.message},
                    level=messages.ERROR,
                )
                continue
            lifted += 1
        if lifted:
            self.message_user(
                request,
                ngettext("%(count)d block lifted.", "%(count)d blocks lifted.", lifted)
                % {"count": lifted},
                level=messages.SUCCESS,
            )


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "event", "subject_type", "subject_link", "note")
    list_filter = ("subject_type", "actor_label")
    list_select_related = ("actor", "subject_type")
    search_fields = ("event", "subject_repr", "=subject_id", "actor_label", "note")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "actor_label",
        "event",
        "subject_type",
        "subject_id",
        "subject_link",
        "before_pretty",
        "after_pretty",
        "note",
    )
    readonly_fields = fields

    @admin.display(description=_("subject"), ordering="subject_repr")
    def subject_link(self, obj: AuditLog) -> str:
        label = obj.subject_repr or obj.subject_id or "—"
        if obj.subject_type_id is None or not obj.subject_id:
            return label
        try:
            url = reverse(
                f"admin:{obj.subject_type.app_label}_{obj.subject_type.model}_change",
                args=[obj.subject_id],
            )
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description=_("before"))
    def before_pretty(self, obj: AuditLog) -> str:
        return pretty_json(obj.before)

    @admin.display(description=_("after"))
    def after_pretty(self, obj: AuditLog) -> str:
        return pretty_json(obj.after)


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("job_name", "started_at", "finished_at", "status", "counts")
    list_filter = ("status", "job_name")
    search_fields = ("job_name",)
    date_hierarchy = "started_at"
    fields = ("job_name", "started_at", "finished_at", "status", "counts_pretty", "errors_pretty")
    readonly_fields = fields

    @admin.display(description=_("counts"))
    def counts_pretty(self, obj: JobRun) -> str:
        return pretty_json(obj.counts)

    @admin.display(description=_("errors"))
    def errors_pretty(self, obj: JobRun) -> str:
        return pretty_json(obj.errors)

"""Admin of customers, contracts, authorized persons, subscriptions, the audit log and
job runs. Every change made here writes an AuditLog row (`AuditedAdmin`); the audit
log and job runs themselves are read-only."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing_portal.admin_audit import AuditedAdmin

from .models import AuditLog, AuthorizedPerson, Contract, Customer, JobRun, Subscription


def pretty_json(value: Any) -> str:
    if value in (None, "", {}, []):
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html('<pre style="margin: 0; white-space: pre-wrap;">{}</pre>', text)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nothing can be added, changed or deleted; the change page is a view page."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


@admin.register(Contract)
class ContractAdmin(AuditedAdmin):
    list_display = ("number", "customer", "customer_ico", "status", "signed_on", "created_at")
    list_filter = ("status", "customer__country")
    list_select_related = ("customer",)
    search_fields = ("number", "customer__name", "customer__ico")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created_at",)
    inlines = (AuthorizedPersonInline,)

    @admin.display(description=_("company ID (IČO)"), ordering="customer__ico")
    def customer_ico(self, obj: Contract) -> str:
        return obj.customer.ico


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
    )
    list_filter = ("status", "product__kind")
    list_select_related = ("contract__customer", "product")
    search_fields = ("label", "contract__number")
    autocomplete_fields = ("contract", "product")
    readonly_fields = ("renewal_requested_for", "created_at")
    date_hierarchy = "valid_until"

    @admin.display(description=_("customer"), ordering="contract__customer__name")
    def customer(self, obj: Subscription) -> Customer:
        return obj.contract.customer


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

"""Customers, contracts, authorized persons, subscriptions, the audit log and job runs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing_portal.append_only import AppendOnlyModel
from billing_portal.errors import CurrencyLocked
from billing_portal.kinds import ProductKind
from billing_portal.money import Currency

from . import validators


class Country(models.TextChoices):
    CZ = "CZ", _("Czechia")
    SK = "SK", _("Slovakia")
    FI = "FI", _("Finland")
    DE = "DE", _("Germany")
    AT = "AT", _("Austria")
    PL = "PL", _("Poland")
    GB = "GB", _("United Kingdom")


EU_COUNTRIES = frozenset({"CZ", "SK", "FI", "DE", "AT", "PL"})


class Language(models.TextChoices):
    CS = "cs", _("Czech")
    SK = "sk", _("Slovak")
    FI = "fi", _("Finnish")
    EN = "en", _("English")


class Customer(models.Model):
    """A company or a person we bill. The currency is fixed at creation."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    class Delivery(models.TextChoices):
        EMAIL = "email", _("E-mail")
        POST = "post", _("Post")
        EINVOICE = "einvoice", _("E-invoice")

    class PaymentMethod(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CASH = "cash", _("Cash")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    ico = models.CharField(_("company ID (IČO)"), max_length=20, blank=True)
    dic = models.CharField(_("VAT ID (DIČ)"), max_length=20, blank=True)
    vat_payer = models.BooleanField(_("VAT payer"), default=False)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices)
    street = models.CharField(_("street"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20)
    email = models.EmailField(_("billing e-mail"))
    invoice_delivery = models.CharField(
        _("invoice delivery"), max_length=10, choices=Delivery.choices, default=Delivery.EMAIL
    )
    einvoice_address = models.CharField(_("e-invoice address (OVT)"), max_length=35, blank=True)
    einvoice_operator = models.CharField(_("e-invoice operator ID"), max_length=35, blank=True)
    payment_method = models.CharField(
        _("payment method"),
        max_length=10,
        choices=PaymentMethod.choices,
        default=PaymentMethod.TRANSFER,
    )
    auto_pay_by_credit = models.BooleanField(
        _("pay renewals automatically by credit"),
        default=False,
        help_text=_("Renewal payment requests are then charged from the credit wallet on day 10."),
    )
    payment_request_emails = models.BooleanField(
        _("e-mail payment requests and reminders"),
        default=True,
        help_text=_(
            "Off: payment requests, reminders and credit notices are not e-mailed; they "
            "remain in the portal. Tax documents and the contract block notice still are."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]
        indexes = [models.Index(fields=["ico"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(invoice_delivery="einvoice")
                | (~models.Q(einvoice_address="") & ~models.Q(einvoice_operator="")),
                name="customer_einvoice_needs_address_and_operator",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("currency", flat=True)
            if stored and stored[0] != self.currency:
                raise CurrencyLocked(customer=self.pk)
        self.ico = validators.compact_ico(self.country, self.ico)
        self.dic = validators.compact_dic(self.country, self.dic)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors = validators.customer_identity_errors(
            country=self.country,
            kind=self.kind,
            ico=self.ico,
            dic=self.dic,
            vat_payer=self.vat_payer,
        )
        if self.invoice_delivery == self.Delivery.EINVOICE and not (
            self.einvoice_address and self.einvoice_operator
        ):
            errors["einvoice_address"] = _(
                "E-invoice delivery needs the e-invoice address (OVT) and the operator ID."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_eu(self) -> bool:
        return self.country in EU_COUNTRIES


class Contract(models.Model):
    """The customer's contract; its number is the portal login and printed everywhere."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        TERMINATED = "terminated", _("Terminated")

    number = models.CharField(
        _("contract number"), max_length=20, unique=True, validators=[validators.contract_number]
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class ContractBlock(models.Model):
    """A dated block on a contract. The contract is blocked while any block is not
    lifted; an overdue block is lifted automatically on `unblock_on`, scheduled when
    the last overdue document is paid. At most one open block per reason."""

    class Reason(models.TextChoices):
        OVERDUE = "overdue", _("Overdue payment")
        MANUAL = "manual", _("Set by staff")
        LEGAL = "legal", _("Legal reasons")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="blocks", verbose_name=_("contract")
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    blocked_on = models.DateField(_("blocked on"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_by_label = models.CharField(_("set by"), max_length=100, default="system")
    note = models.TextField(_("note"), blank=True)
    documents = models.JSONField(_("overdue documents"), default=list, blank=True)
    unblock_on = models.DateField(_("unblock on"), null=True, blank=True)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by_label = models.CharField(_("lifted by"), max_length=100, blank=True)
    lift_note = models.TextField(_("reason for lifting"), blank=True)
    revoked_at = models.DateTimeField(_("certificates revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("contract block")
        verbose_name_plural = _("contract blocks")
        ordering = ["-blocked_on", "-pk"]
        permissions = [("unblock_contract", _("Can lift a contract block by hand"))]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "reason"],
                condition=models.Q(lifted_at__isnull=True),
                name="one_open_block_per_reason",
            )
        ]
        indexes = [models.Index(fields=["reason", "unblock_on"])]

    def __str__(self) -> str:
        return f"{self.contract} {self.get_reason_display()} {self.blocked_on}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class AuthorizedPerson(models.Model):
    """A person of the customer's organisation named on the contract; gets notices
    and logs in to the portal with the contract number, e-mail and password."""

    contract = models.ForeignKey(
        Contract,
        on_delete=models.CASCADE,
        related_name="authorized_persons",
        verbose_name=_("contract"),
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    active = models.BooleanField(_("active"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authorized_person",
        verbose_name=_("portal user"),
    )

    class Meta:
        verbose_name = _("authorized person")
        verbose_name_plural = _("authorized persons")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "email"], name="authorized_person_unique_email_per_contract"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Subscription(models.Model):
    """A service on a contract (a domain, a hosting, a certificate...) with an expiry.

    `renewal_requested_for` holds the valid_until for which a renewal payment request
    was issued, so the daily renewal job issues one per period however often it runs.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending payment")
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        CANCELLED = "cancelled", _("Cancelled")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("contract")
    )
    product = models.ForeignKey(
        "invoices.Product",
        on_delete=models.PROTECT,
        related_name="subscriptions",
        verbose_name=_("product"),
    )
    label = models.CharField(_("label"), max_length=200, help_text=_("e.g. the domain name"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    billing_period_months = models.PositiveSmallIntegerField(_("billing period (months)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    renewal_requested_for = models.DateField(_("renewal requested for"), null=True, blank=True)
    cancellation_requested_on = models.DateField(
        _("cancellation requested on"), null=True, blank=True
    )
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("last day of service after a cancellation")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["valid_until", "pk"]
        indexes = [models.Index(fields=["status", "valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(billing_period_months__gt=0),
                name="subscription_billing_period_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.contract})"

    @property
    def product_kind(self) -> ProductKind:
        return ProductKind(self.product.kind)


class AuditLog(models.Model):
    """Append-only trail of every change: who (staff user, or the system/job), what,
    before and after. It only records: nothing looks state up in it (claims and
    idempotency keys have tables of their own), so it is indexed for reading a
    subject's history and browsing by time only; on PostgreSQL `created_at` has a BRIN
    index (migration 0009), nearly free to keep up for rows written in time order."""

    created_at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    actor_label = models.CharField(_("actor label"), max_length=100, default="system")
    # no database constraint: content types are never deleted, and the check would
    # run once per audit row (50,000 in an auto-charge run)
    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("subject type"),
        db_index=False,
        db_constraint=False,
    )
    subject_id = models.CharField(_("subject ID"), max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_repr = models.CharField(_("subject"), max_length=200, blank=True)
    event = models.CharField(_("event"), max_length=100)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        # the trail is written by every change; no LIKE twin of `event`, and the
        # subject pair serves lookups by subject type as well
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(
                fields=["actor"], condition=models.Q(actor__isnull=False), name="auditlog_actor"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label}: {self.event}"


class JobRun(models.Model):
    """One run of a periodic job: when, how much it did, what failed."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job_name = models.CharField(_("job"), max_length=100, db_index=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.job_name} {self.started_at:%Y-%m-%d %H:%M}"


class DomainEvent(AppendOnlyModel):
    """The transactional outbox: one row per change the outside world may hear about
    (`billing_portal.events.EventType`), written in the same transaction as the
    change, so an event exists exactly when its change committed. Append-only; the
    primary key is the event's unique, increasing id (consumers read in its order and
    deduplicate by it). Consumers (webhooks) keep their own delivery state."""

    type = models.CharField(_("type"), max_length=50)
    subject_type = models.CharField(_("subject type"), max_length=50)
    subject_id = models.CharField(_("subject ID"), max_length=64)
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        ordering = ["pk"]  # consumers read in pk order; no other index: written in bulk

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}:{self.subject_id}"


class PendingTask(models.Model):
    """Work that must follow a commit (settling a paid document, an e-mail), recorded
    in the same transaction as its cause. It is queued after commit; a sweeper
    re-queues what waited too long, so a broker outage delays the work and never
    loses it. The tasks are idempotent, so running one twice is harmless."""

    task = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued again"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("times queued again"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending task")
        verbose_name_plural = _("pending tasks")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(done_at__isnull=True), name="task_undone"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)}"


class IdempotencyRecord(models.Model):
    """One answered request of an idempotent API call: the same key in the same scope
    replays the stored response; the same key with another body is refused. Only
    successful responses are kept (a failed call changed nothing and may be retried)."""

    scope = models.CharField(_("scope"), max_length=100)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class Claim(models.Model):
    """ "Done once" state of a job or a notice (the insufficient-credit notice of a
    request, the expiry e-mail of a subscription's term...): the unique row is the
    claim, taken under the subject's lock before the work; `done_at` tells the work
    (an e-mail) went out. The audit log only records; nothing is looked up there."""

    name = models.CharField(_("claim"), max_length=60)
    key = models.CharField(_("key"), max_length=120)
    claimed_at = models.DateTimeField(_("claimed"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        constraints = [models.UniqueConstraint(fields=["name", "key"], name="claim_unique")]

    def __str__(self) -> str:
        return f"{self.name} {self.key}"

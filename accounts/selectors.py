"""Reads about customers and contracts that other apps and interfaces need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from billing_portal.errors import ContractBlocked

from .models import Contract, ContractBlock


@dataclass(frozen=True)
class Blocking:
    """Why a contract is blocked and when it will be unblocked (None: not scheduled)."""

    reasons: tuple[str, ...]
    since: date
    expected_unblock_on: date | None
    code: str = ContractBlocked.code

    @property
    def message(self) -> str:
        if self.expected_unblock_on is not None:
            return str(
                _("The contract is blocked for non-payment; it will be unblocked on %(date)s.")
                % {"date": self.expected_unblock_on.strftime("%d.%m.%Y")}
            )
        if ContractBlock.Reason.OVERDUE in self.reasons:
            return str(_("The contract is blocked for non-payment of an overdue invoice."))
        return str(_("The contract is blocked."))

    def as_error(self) -> ContractBlocked:
        return ContractBlocked(
            self.message,
            reasons=list(self.reasons),
            since=self.since.isoformat(),
            expected_unblock_on=(
                self.expected_unblock_on.isoformat() if self.expected_unblock_on else None
            ),
        )


def contract_blocking(contract: Contract) -> Blocking | None:
    """None when the contract is not blocked. Certificates (issuance, renewal), the
    portal and the API ask this before they act."""
    blocks = list(ContractBlock.objects.filter(contract=contract, lifted_at__isnull=True))
    if not blocks:
        return None
    automatic = [b for b in blocks if b.reason == ContractBlock.Reason.OVERDUE]
    only_overdue = len(automatic) == len(blocks)
    return Blocking(
        reasons=tuple(sorted(b.reason for b in blocks)),
        since=min(b.blocked_on for b in blocks),
        expected_unblock_on=automatic[0].unblock_on if only_overdue else None,
    )


def ensure_not_blocked(contract: Contract) -> None:
    """Raise ContractBlocked (stable code "contract_blocked") with the unblock date."""
    blocking = contract_blocking(contract)
    if blocking is not None:
        raise blocking.as_error()

"""Customer portal logins: contract number + e-mail of an authorized person + password.

A portal user is an ordinary Django user linked one-to-one to an `AuthorizedPerson`
(`AuthorizedPerson.user`); it is never staff. Its username is derived from the
contract number and the e-mail only to be unique and readable in the admin:
logging in never looks the username up, it finds the authorized person by contract
number and e-mail and checks the password of the linked user.

Brute force and enumeration (domain.md, "Customer portal login"):
- every failed attempt is counted in the cache per (contract number, e-mail) and
  per client IP; after `PORTAL_LOGIN_MAX_FAILURES` failures (default 5) within
  `PORTAL_LOGIN_WINDOW_SECONDS` (default 900 s = 15 minutes) further attempts are
  refused, even with the right password, until the window ends. The window is
  fixed: it starts with the first failure. The pair is counted whether or not it
  exists, so the lock-out reveals nothing either.
- one generic message for every failure (unknown contract, unknown e-mail,
  inactive person, wrong password), and a password hash is computed even when
  nobody matches, so the response time does not tell the cases apart either.

The counters live in Django's default cache: the per-process local-memory cache is
enough for one process, several workers need a shared cache (Redis).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing_portal.errors import BillingError, ValidationFailed

from .locks import lock_authorized_person
from .models import AuthorizedPerson
from .services import snapshot, write_audit

#: The one message of every failed login: it never tells what was wrong.
LOGIN_FAILED_MESSAGE = _("The contract number, e-mail or password is not correct.")

PASSWORD_MIN_LENGTH = 10
USERNAME_MAX_LENGTH = 150
_CACHE_PREFIX = "portal-login-failures"


class PortalLoginThrottled(BillingError):
    """Too many failed portal logins for this contract and e-mail, or from this address."""

    code = "portal_login_throttled"
    default_message = _(
        "Too many failed login attempts. Please wait a quarter of an hour and try again."
    )
    http_status = 429


# --- settings ----------------------------------------------------------------------


def _billing_setting(name: str, default: int) -> int:
    return int(getattr(settings, "BILLING", {}).get(name, default))


def max_failures() -> int:
    return _billing_setting("PORTAL_LOGIN_MAX_FAILURES", 5)


def failure_window_seconds() -> int:
    return _billing_setting("PORTAL_LOGIN_WINDOW_SECONDS", 15 * 60)


def password_min_length() -> int:
    return _billing_setting("PORTAL_PASSWORD_MIN_LENGTH", PASSWORD_MIN_LENGTH)


# --- normalising the login input ------------------------------------------------------


def normalize_contract_number(value: str) -> str:
    """`f2112000371 ` -> `F2112000371`."""
    return "".join((value or "").split()).upper()


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def portal_username(*, contract_number: str, email: str) -> str:
    """`f2112000371_jana@example.cz`: unique per (contract, e-mail), within 150 chars.

    The characters are those Django's username validator allows, so staff can edit
    the user in the admin. A too long e-mail is shortened and made unique by a hash.
    """
    username = f"{normalize_contract_number(contract_number)}_{normalize_email(email)}".lower()
    if len(username) <= USERNAME_MAX_LENGTH:
        return username
    digest = hashlib.sha256(username.encode()).hexdigest()[:16]
    return f"{username[: USERNAME_MAX_LENGTH - 17]}-{digest}"


# --- password rule ---------------------------------------------------------------------


def validate_portal_password(password: str) -> None:
    """At least one digit, one lowercase and one uppercase letter, and long enough.

    Raises one ValidationError listing every rule the password breaks.
    """
    password = password or ""
    minimum = password_min_length()
    errors: list[ValidationError] = []
    if len(password) < minimum:
        errors.append(
            ValidationError(
                ngettext(
                    "The password must have at least %(min)d character.",
                    "The password must have at least %(min)d characters.",
                    minimum,
                ),
                code="password_too_short",
                params={"min": minimum},
            )
        )
    if not re.search(r"\d", password):
        errors.append(
            ValidationError(_("The password must contain a digit."), code="password_no_digit")
        )
    if not any(char.islower() for char in password):
        errors.append(
            ValidationError(
                _("The password must contain a lowercase letter."), code="password_no_lower"
            )
        )
    if not any(char.isupper() for char in password):
        errors.append(
            ValidationError(
                _("The password must contain an uppercase letter."), code="password_no_upper"
            )
        )
    if errors:
        raise ValidationError(errors)


class PortalPasswordValidator:
    """The same rule as a Django password validator (for AUTH_PASSWORD_VALIDATORS or
    `password_validation.validate_password(..., password_validators=[...])`)."""

    def validate(self, password: str, user: Any = None) -> None:
        validate_portal_password(password)

    def get_help_text(self) -> str:
        return str(
            _(
                "Your password must have at least %(min)d characters and contain a digit, "
                "a lowercase and an uppercase letter."
            )
            % {"min": password_min_length()}
        )


# --- creating a login -------------------------------------------------------------------


@transaction.atomic
def create_portal_login(
    *, person: AuthorizedPerson, password: str, actor: Any = None
) -> AbstractBaseUser:
    """Give an authorized person a portal login with this password (or set a new
    password on the login it has). The password must pass `validate_portal_password`;
    nothing is written when it does not."""
    validate_portal_password(password)
    person = lock_authorized_person(person.pk, related=("contract", "user"))
    user_model = get_user_model()
    user = person.user
    if user is None:
        username = portal_username(contract_number=person.contract.number, email=person.email)
        user = user_model.objects.filter(username=username).first()
        if user is not None and (user.is_staff or hasattr(user, "authorized_person")):
            raise ValidationFailed(
                _("The portal username %(username)s is taken by another user.")
                % {"username": username}
            )
        if user is None:
            user = user_model(username=username)
        user.email = person.email
        user.is_active = True
    user.set_password(password)
    user.save()
    created = person.user_id is None
    if created:
        before = snapshot(person)
        person.user = user
        person.save(update_fields=["user"])
        write_audit(
            event="portal_login.created",
            subject=person,
            actor=actor,
            before=before,
            after=snapshot(person),
        )
    else:
        write_audit(event="portal_login.password_set", subject=person, actor=actor)
    return user


# --- authenticating ------------------------------------------------------------------------


def _counter_keys(*, contract_number: str, email: str, client_ip: str) -> list[str]:
    pair = hashlib.sha256(f"{contract_number}\0{email}".encode()).hexdigest()
    keys = [f"{_CACHE_PREFIX}:pair:{pair}"]
    if client_ip:
        ip = hashlib.sha256(client_ip.encode()).hexdigest()
        keys.append(f"{_CACHE_PREFIX}:ip:{ip}")
    return keys


def _is_throttled(keys: list[str]) -> bool:
    limit, window, now = max_failures(), failure_window_seconds(), timezone.now().timestamp()
    for key in keys:
        since = cache.get(f"{key}:since")
        if since is not None and now - since < window and (cache.get(key) or 0) >= limit:
            return True
    return False


def _record_failure(keys: list[str]) -> None:
    """Count a failure in a window that starts at the first failure. The window is
    judged by our clock (not the cache's expiry), the count with an atomic incr."""
    window, now = failure_window_seconds(), timezone.now().timestamp()
    for key in keys:
        since = cache.get(f"{key}:since")
        if since is None or now - since >= window:
            cache.set_many({f"{key}:since": now, key: 0}, timeout=2 * window)
        try:
            cache.incr(key)
        except ValueError:  # evicted between the two calls
            cache.set(key, 1, timeout=2 * window)


def authenticate_portal_user(
    *, contract_number: str, email: str, password: str, client_ip: str = ""
) -> AbstractBaseUser | None:
    """The portal user of the active authorized person with this contract number and
    e-mail when the password is right, else None (and the failure is counted).

    Raises PortalLoginThrottled, before looking at anything, when this (contract,
    e-mail) or this client IP has failed too often within the window.
    """
    contract_number = normalize_contract_number(contract_number)
    email = normalize_email(email)
    keys = _counter_keys(contract_number=contract_number, email=email, client_ip=client_ip)
    if _is_throttled(keys):
        raise PortalLoginThrottled()
    person = (
        AuthorizedPerson.objects.select_related("user")
        .filter(contract__number=contract_number, email__iexact=email, active=True)
        .exclude(user=None)
        .order_by("pk")
        .first()
    )
    user = person.user if person is not None else None
    if user is None or not user.is_active or user.is_staff:
        get_user_model()().set_password(password)  # same work as a real check: no timing leak
        _record_failure(keys)
        return None
    if not user.check_password(password):
        _record_failure(keys)
        return None
    cache.delete(keys[0])  # a success clears the pair's count, not the address's
    return user


def portal_person_of(user: Any) -> AuthorizedPerson | None:
    """The active authorized person a logged-in portal user acts as, else None."""
    if not getattr(user, "is_authenticated", False) or user.is_staff:
        return None
    return (
        AuthorizedPerson.objects.select_related("contract__customer")
        .filter(user=user, active=True)
        .first()
    )

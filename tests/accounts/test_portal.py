"""Customer portal: login (contract + e-mail + password), throttling, documents, PDFs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.portal_login import (
    LOGIN_FAILED_MESSAGE,
    PortalLoginThrottled,
    PortalPasswordValidator,
    authenticate_portal_user,
    create_portal_login,
    portal_username,
    validate_portal_password,
)
from invoices.services import LineSpec, issue_payment_request
from tests.factories import AuthorizedPersonFactory, ContractFactory

PASSWORD = "Correct-Horse-42"
LOGIN_URL = reverse("portal:login")
DOCUMENTS_URL = reverse("portal:documents")


@pytest.fixture(autouse=True)
def _fast_hashing_and_empty_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person(db):
    person = AuthorizedPersonFactory(
        contract=ContractFactory(number="F2112000371"), email="jana.novakova@example.cz"
    )
    create_portal_login(person=person, password=PASSWORD)
    person.refresh_from_db()
    return person


@pytest.fixture
def other_person(db):
    person = AuthorizedPersonFactory(
        contract=ContractFactory(number="F2112000999"), email="petr@example.cz"
    )
    create_portal_login(person=person, password=PASSWORD)
    person.refresh_from_db()
    return person


def issue_for(contract, description="Webhosting"):
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description=description, unit_price=Decimal("100.00"))],
    )


def post_login(client, contract="F2112000371", email="jana.novakova@example.cz", **extra):
    password = extra.pop("password", PASSWORD)
    data = {"contract_number": contract, "email": email, "password": password}
    return client.post(LOGIN_URL, data, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- login -----------------------------------------------------------------------------


def test_login_page_renders(client, db):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_login_with_the_right_triple(client, person):
    response = post_login(client)
    assert response.status_code == 302
    assert response["Location"] == DOCUMENTS_URL
    assert int(client.session["_auth_user_id"]) == person.user_id


def test_login_ignores_case_and_spaces(person):
    user = authenticate_portal_user(
        contract_number=" f2112000371 ", email="Jana.Novakova@Example.CZ ", password=PASSWORD
    )
    assert user == person.user


@pytest.mark.parametrize(
    "change",
    [
        {"password": "Wrong-Horse-42"},
        {"password": PASSWORD.lower()},
        {"contract": "F2112000372"},
        {"email": "nobody@example.cz"},
        {"contract": "F2112000999"},  # a contract that exists, but not with this e-mail
    ],
    ids=["wrong-password", "password-case", "unknown-contract", "unknown-email", "other-contract"],
)
def test_failed_login_says_only_the_generic_message(client, person, other_person, change):
    response = post_login(client, **change)
    assert response.status_code == 200
    assert str(LOGIN_FAILED_MESSAGE) in response.content.decode()
    assert not logged_in(client)


def test_inactive_person_cannot_log_in_and_gets_the_same_message(client, person):
    person.active = False
    person.save()
    response = post_login(client)
    assert str(LOGIN_FAILED_MESSAGE) in response.content.decode()
    assert not logged_in(client)
    assert (
        authenticate_portal_user(
            contract_number="F2112000371", email=person.email, password=PASSWORD
        )
        is None
    )


def test_person_without_a_login_gets_the_same_message(client, db):
    AuthorizedPersonFactory(contract=ContractFactory(number="F2112000555"), email="x@example.cz")
    response = post_login(client, contract="F2112000555", email="x@example.cz")
    assert str(LOGIN_FAILED_MESSAGE) in response.content.decode()
    assert not logged_in(client)


def test_staff_users_are_not_portal_users(person):
    user = person.user
    user.is_staff = True
    user.save()
    assert (
        authenticate_portal_user(
            contract_number="F2112000371", email=person.email, password=PASSWORD
        )
        is None
    )


def test_safe_next_only(client, person):
    data = {"contract_number": "F2112000371", "email": person.email, "password": PASSWORD}
    response = client.post(LOGIN_URL, {**data, "next": "https://evil.example/"})
    assert response["Location"] == DOCUMENTS_URL
    client.logout()
    response = client.post(LOGIN_URL, {**data, "next": "/portal/?page=2"})
    assert response["Location"] == "/portal/?page=2"


# --- throttling ------------------------------------------------------------------------


def test_throttled_after_five_failures_for_the_pair(client, person):
    for _attempt in range(5):
        post_login(client, password="Wrong-Horse-42", REMOTE_ADDR=f"10.0.0.{_attempt}")
    # the right password now fails too, from any address
    response = post_login(client, REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429
    assert str(PortalLoginThrottled.default_message) in response.content.decode()
    assert not logged_in(client)
    with pytest.raises(PortalLoginThrottled):
        authenticate_portal_user(
            contract_number="F2112000371", email=person.email, password=PASSWORD
        )


def test_four_failures_do_not_lock_and_a_success_clears_the_count(client, person):
    for _attempt in range(4):
        post_login(client, password="Wrong-Horse-42", REMOTE_ADDR=f"10.0.0.{_attempt}")
    assert post_login(client, REMOTE_ADDR="10.0.1.1").status_code == 302
    client.logout()
    for _attempt in range(4):
        post_login(client, password="Wrong-Horse-42", REMOTE_ADDR=f"10.0.2.{_attempt}")
    assert post_login(client, REMOTE_ADDR="10.0.1.2").status_code == 302


def test_unknown_pairs_are_throttled_too(db):
    for _attempt in range(5):
        assert (
            authenticate_portal_user(
                contract_number="F0000000000", email="ghost@example.cz", password="x"
            )
            is None
        )
    with pytest.raises(PortalLoginThrottled):
        authenticate_portal_user(
            contract_number="F0000000000", email="ghost@example.cz", password="x"
        )


def test_throttled_after_five_failures_from_one_address(client, person, other_person):
    for attempt in range(5):
        post_login(client, email=f"guess{attempt}@example.cz", REMOTE_ADDR="203.0.113.7")
    response = post_login(client, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert not logged_in(client)
    # another address is not affected
    assert post_login(client, REMOTE_ADDR="198.51.100.1").status_code == 302


def test_the_lock_ends_after_the_window(person):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _attempt in range(5):
            authenticate_portal_user(
                contract_number="F2112000371", email=person.email, password="Wrong-Horse-42"
            )
        with pytest.raises(PortalLoginThrottled):
            authenticate_portal_user(
                contract_number="F2112000371", email=person.email, password=PASSWORD
            )
        traveller.shift(timedelta(minutes=14))
        with pytest.raises(PortalLoginThrottled):
            authenticate_portal_user(
                contract_number="F2112000371", email=person.email, password=PASSWORD
            )
        traveller.shift(timedelta(minutes=2))
        user = authenticate_portal_user(
            contract_number="F2112000371", email=person.email, password=PASSWORD
        )
    assert user == person.user


# --- documents and PDFs ----------------------------------------------------------------


def test_pages_need_a_login(client, person, bank_accounts):
    document = issue_for(person.contract)
    for url in (DOCUMENTS_URL, reverse("portal:document_pdf", args=[document.number])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN_URL + "?next=")


def test_sees_only_the_own_contracts_documents(client, person, other_person, bank_accounts):
    own = [issue_for(person.contract), issue_for(person.contract, "Doména")]
    foreign = issue_for(other_person.contract)
    client.force_login(person.user)
    response = client.get(DOCUMENTS_URL)
    assert response.status_code == 200
    content = response.content.decode()
    for document in own:
        assert document.number in content
    assert foreign.number not in content
    assert person.contract.number in content
    assert list(response.context["page"].object_list) == sorted(
        own, key=lambda d: (d.issue_date, d.number), reverse=True
    )


def test_own_pdf_downloads(client, person, bank_accounts, monkeypatch):
    document = issue_for(person.contract)
    monkeypatch.setattr(
        "invoices.pdf.render_document_pdf", lambda doc: b"%PDF-" + doc.number.encode()
    )
    client.force_login(person.user)
    response = client.get(reverse("portal:document_pdf", args=[document.number]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content == b"%PDF-" + document.number.encode()
    assert f'filename="{document.number}.pdf"' in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_another_contracts_pdf_is_not_found(client, person, other_person, bank_accounts):
    foreign = issue_for(other_person.contract)
    client.force_login(person.user)
    response = client.get(reverse("portal:document_pdf", args=[foreign.number]))
    assert response.status_code == 404
    response = client.get(reverse("portal:document_pdf", args=["ZF2099999999"]))
    assert response.status_code == 404


def test_staff_session_does_not_open_the_portal(client, db):
    staff = get_user_model().objects.create_user("clerk", password=PASSWORD, is_staff=True)
    client.force_login(staff)
    response = client.get(DOCUMENTS_URL)
    assert response.status_code == 302
    assert logged_in(client)  # the admin session is left alone


def test_deactivated_person_loses_the_session(client, person):
    client.force_login(person.user)
    assert client.get(DOCUMENTS_URL).status_code == 200
    person.active = False
    person.save()
    response = client.get(DOCUMENTS_URL)
    assert response.status_code == 302
    assert not logged_in(client)


def test_logout(client, person):
    client.force_login(person.user)
    assert client.get(reverse("portal:logout")).status_code == 405
    response = client.post(reverse("portal:logout"))
    assert response["Location"] == LOGIN_URL
    assert not logged_in(client)


# --- creating logins and the password rule ----------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["Short-1a", "no-uppercase-123", "NO-LOWERCASE-123", "No-Digits-At-All", "", "Abcdefgh1"],
)
def test_weak_passwords_are_rejected(password, db):
    with pytest.raises(ValidationError):
        validate_portal_password(password)
    with pytest.raises(ValidationError):
        PortalPasswordValidator().validate(password)
    person = AuthorizedPersonFactory()
    with pytest.raises(ValidationError):
        create_portal_login(person=person, password=password)
    person.refresh_from_db()
    assert person.user is None
    assert get_user_model().objects.count() == 0


def test_every_broken_rule_is_reported():
    with pytest.raises(ValidationError) as excinfo:
        validate_portal_password("abc")
    codes = {error.code for error in excinfo.value.error_list}
    assert codes == {"password_too_short", "password_no_digit", "password_no_upper"}


@pytest.mark.parametrize("password", ["Abcdefghi1", PASSWORD, "ŽluťoučkýKůň7"])
def test_strong_passwords_pass(password):
    validate_portal_password(password)


def test_create_portal_login_links_a_plain_user(person):
    user = person.user
    assert user.username == "f2112000371_jana.novakova@example.cz"
    assert user.username == portal_username(contract_number="F2112000371", email=person.email)
    assert user.email == person.email
    assert not user.is_staff and not user.is_superuser and user.is_active
    assert user.check_password(PASSWORD)


def test_create_portal_login_again_sets_a_new_password(person):
    user = create_portal_login(person=person, password="Another-Pass-77")
    assert user.pk == person.user_id
    assert get_user_model().objects.count() == 1
    user.refresh_from_db()
    assert user.check_password("Another-Pass-77")


def test_long_usernames_stay_within_the_limit():
    email = "a" * 200 + "@example.cz"
    username = portal_username(contract_number="F2112000371", email=email)
    assert len(username) == 150
    assert username != portal_username(contract_number="F2112000372", email=email)

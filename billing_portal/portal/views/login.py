"""Logging in (contract number + e-mail + password) and out.

The checks themselves (throttling, the one message of every failure) are
`accounts.portal_login.authenticate_portal_user`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.portal_login import (
    LOGIN_FAILED_MESSAGE,
    PortalLoginThrottled,
    authenticate_portal_user,
    portal_person_of,
)

from ..forms import PortalLoginForm

# Portal users log in through `authenticate_portal_user`; the session is then kept
# by Django's ModelBackend (it is in the default AUTHENTICATION_BACKENDS).
SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def client_ip(request: HttpRequest) -> str:
    """The address the request came from. Behind a reverse proxy, REMOTE_ADDR must be
    set to the real client address by the server (a forwarded header that anybody
    can send is deliberately not trusted here)."""
    return request.META.get("REMOTE_ADDR", "")


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:documents")


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and portal_person_of(request.user) is not None:
        return redirect("portal:documents")
    form = PortalLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate_portal_user(
                contract_number=form.cleaned_data["contract_number"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                client_ip=client_ip(request),
            )
        except PortalLoginThrottled as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            if user is not None:
                login(request, user, backend=SESSION_BACKEND)
                return redirect(_safe_next(request))
            form.add_error(None, LOGIN_FAILED_MESSAGE)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "portal/login.html", {"form": form, "next": next_url}, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have been logged out."))
    return redirect("portal:login")

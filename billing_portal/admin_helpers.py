"""Admin helpers every app's admin.py shares; generic, they know no app.

- `ViewOnlyMixin`: a view, never an editor (rows written by the services only);
- `null_filter`: a list filter on whether a nullable field is filled in;
- `action_form_page` / `bound_on_confirm`: an action that asks for input (a reason,
  an amount) on an intermediate page before it calls a service.

The admin that writes an audit row for every change is `accounts.admin_audit.AuditedAdmin`
(the audit log belongs to accounts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse


class ViewOnlyMixin:
    """A view, never an editor: rows here are written by the services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def null_filter(
    field: str,
    *,
    title: Any,
    parameter: str,
    set_choice: tuple[str, Any],
    unset_choice: tuple[str, Any],
) -> type[admin.SimpleListFilter]:
    """A list filter on whether a nullable field (a date, mostly) is filled in."""

    class NullFilter(admin.SimpleListFilter):
        def lookups(self, request, model_admin):
            return (unset_choice, set_choice)

        def queryset(self, request, queryset):
            if self.value() == set_choice[0]:
                return queryset.filter(**{f"{field}__isnull": False})
            if self.value() == unset_choice[0]:
                return queryset.filter(**{f"{field}__isnull": True})
            return queryset

    NullFilter.title = title
    NullFilter.parameter_name = parameter
    return NullFilter


# --- actions that need input (a reason, an amount) --------------------------------------

ACTION_FORM_TEMPLATE = "admin/action_form.html"


def action_form_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    action: str,
    title: str,
    intro: str,
    form: forms.Form,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, Sequence[Any]]],
) -> TemplateResponse:
    """The intermediate page of an action that needs input: the selected objects
    (`rows` of (pk, cells)) in a table, then the form; it posts back to the action."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "opts": model_admin.opts,
        "columns": columns,
        "rows": list(rows),
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": model_admin.media + form.media,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, ACTION_FORM_TEMPLATE, context)


def bound_on_confirm(form_class: type[forms.Form], request: HttpRequest) -> forms.Form:
    """The action's form: bound when the intermediate page was submitted."""
    return form_class(request.POST) if request.POST.get("post") == "yes" else form_class()

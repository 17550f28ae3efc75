"""Admin of statement imports and the upload page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing_portal.errors import BillingError

from ..forms import (
    StatementUploadForm,
)
from ..importing import import_statement
from ..models import (
    StatementImport,
)
from .base import ReadOnlyAdmin, _attachment

# --- statement imports -------------------------------------------------------------------


@admin.register(StatementImport)
class StatementImportAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "source",
        "filename",
        "format",
        "status",
        "error_code",
        "new",
        "duplicates",
        "accounts_list",
    )
    list_filter = ("status", "format", "source")
    search_fields = ("filename", "sha256", "error_message")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)
    fields = (
        "created_at",
        "created_by",
        "source",
        "filename",
        "file_link",
        "size",
        "sha256",
        "format",
        "status",
        "error_code",
        "error_message",
        "accounts",
        "statements",
        "transactions",
        "new",
        "duplicates",
        "totals",
        "transactions_link",
    )
    readonly_fields = fields

    def has_upload_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('add', opts)}")

    @admin.display(description=_("accounts"))
    def accounts_list(self, obj: StatementImport) -> str:
        return ", ".join(obj.accounts or []) or "—"

    @admin.display(description=_("file as received"))
    def file_link(self, obj: StatementImport) -> str:
        if obj.pk is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', self._url("file", obj.pk), obj.filename or _("Download")
        )

    @admin.display(description=_("bank transactions"))
    def transactions_link(self, obj: StatementImport) -> str:
        if obj.pk is None or not obj.new:
            return "—"
        url = reverse("admin:payments_banktransaction_changelist")
        return format_html(
            '<a href="{}?statement_import__id__exact={}">{}</a>', url, obj.pk, _("Show new ones")
        )

    def get_urls(self):
        opts = self.opts
        return [
            path(
                "upload/",
                self.admin_site.admin_view(self.upload_view),
                name=f"{opts.app_label}_{opts.model_name}_upload",
            ),
            self._view_url("file", self.file_view),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": self.has_upload_permission(request)}
        return super().changelist_view(request, extra_context)

    def file_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        record = self._object_or_404(request, object_id)
        if not self.has_view_permission(request, record):
            raise PermissionDenied
        return _attachment(
            bytes(record.content),
            filename=record.filename or f"statement-{record.pk}",
            content_type="application/octet-stream",
        )

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_upload_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = StatementUploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    result = import_statement(
                        content=upload.read(),
                        source=StatementImport.Source.UPLOAD,
                        filename=upload.name or "",
                        format=form.cleaned_data["format"],
                        register_account=form.cleaned_data["register_account"],
                        csv_mapping=form.csv_mapping,
                        actor=request.user,
                    )
                except BillingError as error:
                    self._error(request, error)
                else:
                    record = result.statement_import
                    if result.ok:
                        self.message_user(
                            request,
                            _(
                                "Statement imported: %(new)d new transactions, %(duplicates)d "
                                "already known, from %(statements)d statements of %(accounts)s."
                            )
                            % {
                                "new": record.new,
                                "duplicates": record.duplicates,
                                "statements": record.statements,
                                "accounts": ", ".join(record.accounts) or "—",
                            },
                            level=messages.SUCCESS,
                        )
                    else:
                        self.message_user(
                            request,
                            _("The file was rejected and stored: %(reason)s")
                            % {"reason": record.error_message or record.error_code},
                            level=messages.ERROR,
                        )
                    return HttpResponseRedirect(self._url("change", record.pk))
        else:
            form = StatementUploadForm()
        return self._form_page(
            request,
            title=_("Upload statement"),
            intro=_(
                "The file is stored as received and imported whole, or rejected whole with "
                "the reason. Importing the same file again adds nothing."
            ),
            form=form,
            multipart=True,
            submit_label=_("Upload and import"),
        )

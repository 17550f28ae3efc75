"""Customer portal URLs (login with contract number + e-mail + password)."""

from django.urls import path

from billing_portal import portal_views

app_name = "portal"
urlpatterns: list = [
    path("", portal_views.documents_view, name="documents"),
    path("login/", portal_views.login_view, name="login"),
    path("logout/", portal_views.logout_view, name="logout"),
    path("documents/<slug:number>/pdf/", portal_views.document_pdf_view, name="document_pdf"),
    path(
        "documents/<slug:number>/no-auto-charge/",
        portal_views.opt_out_view,
        name="document_opt_out",
    ),
    path("credit/", portal_views.credit_view, name="credit"),
    path("credit/top-up/", portal_views.credit_top_up_view, name="credit_top_up"),
    path("credit/statement.pdf", portal_views.credit_statement_pdf_view, name="credit_pdf"),
    path("credit/entries.csv", portal_views.credit_entries_csv_view, name="credit_csv"),
]

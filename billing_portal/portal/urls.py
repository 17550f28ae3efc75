"""Customer portal URLs (login with contract number + e-mail + password)."""

from django.urls import path

from .views import credit, documents, login

app_name = "portal"
urlpatterns: list = [
    path("", documents.documents_view, name="documents"),
    path("login/", login.login_view, name="login"),
    path("logout/", login.logout_view, name="logout"),
    path("documents/<slug:number>/pdf/", documents.document_pdf_view, name="document_pdf"),
    path(
        "documents/<slug:number>/no-auto-charge/",
        documents.opt_out_view,
        name="document_opt_out",
    ),
    path("credit/", credit.credit_view, name="credit"),
    path("credit/top-up/", credit.credit_top_up_view, name="credit_top_up"),
    path("credit/statement.pdf", credit.credit_statement_pdf_view, name="credit_pdf"),
    path("credit/entries.csv", credit.credit_entries_csv_view, name="credit_csv"),
]

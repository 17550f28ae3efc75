"""The partner API's routes (included under /api/ by billing_portal.urls); the URL
names are global (no namespace): `api-schema`, `api-contract-credit`..."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "contracts/<str:number>/eligibility/",
        views.ContractEligibilityView.as_view(),
        name="api-contract-eligibility",
    ),
    path(
        "contracts/<str:number>/credit/",
        views.WalletView.as_view(),
        name="api-contract-credit",
    ),
    path(
        "contracts/<str:number>/credit/top-up/",
        views.TopUpView.as_view(),
        name="api-contract-credit-top-up",
    ),
]

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import ContractEligibilityView
from billing_portal import views
from credits.api import TopUpView, WalletView

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/contracts/<str:number>/eligibility/",
        ContractEligibilityView.as_view(),
        name="api-contract-eligibility",
    ),
    path("api/contracts/<str:number>/credit/", WalletView.as_view(), name="api-contract-credit"),
    path(
        "api/contracts/<str:number>/credit/top-up/",
        TopUpView.as_view(),
        name="api-contract-credit-top-up",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("billing_portal.portal_urls")),
]

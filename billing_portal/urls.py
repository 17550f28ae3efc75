"""The top floor's wiring: the landing page, admin, the partner API, the portal."""

from django.contrib import admin
from django.urls import include, path

from billing_portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("billing_portal.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("portal/", include("billing_portal.portal.urls")),
]

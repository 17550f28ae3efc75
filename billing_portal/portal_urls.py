"""Customer portal URLs (login with contract number + e-mail + password)."""

app_name = "portal"
urlpatterns: list = []

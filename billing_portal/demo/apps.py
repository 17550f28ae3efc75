from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data's `seed_demo` command; no models."""

    name = "billing_portal.demo"
    label = "demo"

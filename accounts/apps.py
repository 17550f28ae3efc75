import logging

from django.apps import AppConfig
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customers and contracts")

    def ready(self) -> None:
        from billing_portal import fulfilment

        from . import services

        for kind in services.SUBSCRIPTION_PRODUCT_KINDS:
            fulfilment.register(kind, services.extend_subscription_for_line, owner=self.name)

        from celery.signals import task_success

        task_success.connect(_pending_task_done, weak=False, dispatch_uid="pending_task_done")


def _pending_task_done(sender=None, **_kwargs) -> None:
    """A task that succeeded completes the outbox's pending rows of the same call."""
    from .outbox import mark_pending_done

    request = getattr(sender, "request", None)
    if sender is None or request is None or request.kwargs:
        return
    try:
        mark_pending_done(sender.name, list(request.args or ()))
    except DatabaseError:  # the work is done; the sweeper queues it once more, harmlessly
        logger.warning("pending %s not marked done", sender.name)

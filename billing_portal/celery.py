"""The one Celery app and the one beat schedule.

Without REDIS_URL the app runs tasks in-process (settings turn on eager mode), so
`make run` needs no broker; with REDIS_URL it uses Redis and real workers.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_portal.settings")

app = Celery("billing_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "requeue-pending-tasks": {  # work recorded after a commit that never reached a worker
        "task": "accounts.tasks.requeue_pending_tasks_task",
        "schedule": crontab(minute="*/5"),
    },
    "pair-payments": {
        "task": "payments.tasks.pair_payments_task",
        "schedule": crontab(minute="*/15"),
    },
    "propose-returns": {
        "task": "payments.tasks.propose_returns_task",
        "schedule": crontab(hour=3, minute=0),
    },
    "send-reminders": {
        "task": "invoices.tasks.send_reminders_task",
        "schedule": crontab(hour=7, minute=0),
    },
    "dunning": {
        "task": "invoices.tasks.daily_dunning_task",
        "schedule": crontab(hour=6, minute=0),
    },
    "expire-subscriptions": {
        "task": "invoices.tasks.expire_subscriptions_task",
        "schedule": crontab(hour=0, minute=30),
    },
    "charge-due-requests": {
        "task": "credits.tasks.charge_due_requests_task",
        "schedule": crontab(hour=5, minute=0),
    },
    "zero-top-up-invoices": {
        "task": "credits.tasks.issue_zero_top_up_invoices_task",
        "schedule": crontab(hour=4, minute=30),
    },
    "monthly-credit-statements": {  # the 1st for the previous month; later days catch up
        "task": "credits.tasks.send_monthly_statements_task",
        "schedule": crontab(hour=6, minute=30),
    },
    "issue-renewal-requests": {
        "task": "invoices.tasks.issue_renewal_requests_task",
        "schedule": crontab(hour=2, minute=0),
    },
}

"""Every beat entry names a task that exists (a typo would silently never run)."""

from __future__ import annotations

from billing_portal.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
    assert "payments.tasks.pair_payments_task" in scheduled
    assert app.conf.beat_schedule["pair-payments"]["schedule"].minute == set(range(0, 60, 15))

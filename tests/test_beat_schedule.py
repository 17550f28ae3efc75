"""Every beat entry names a task that exists (a typo would silently never run)."""

from __future__ import annotations

from billing_portal.celery import app


def test_every_scheduled_task_is_registered():
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
    assert "payments.tasks.pair_payments_task" in scheduled
    assert app.conf.beat_schedule["pair-payments"]["schedule"].minute == set(range(0, 60, 15))


def test_every_deferred_task_name_is_a_registered_task():
    """Services defer tasks by name (`accounts.outbox.defer`): a typo would leave the
    work waiting for ever."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = {
        name
        for package in ("accounts", "invoices", "payments", "credits")
        for path in (root / package).rglob("*.py")
        for name in re.findall(r'"(\w+\.tasks\.\w+)"', path.read_text(encoding="utf-8"))
    }
    app.loader.import_default_modules()
    assert len(names) >= 8
    assert names <= set(app.tasks), names - set(app.tasks)

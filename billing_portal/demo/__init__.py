"""Demo data for a developer's database (top floor): `manage.py seed_demo`, run by
`make run`. An installed app (`billing_portal.demo`, no models) only so that Django
finds its management command.

- `data.py`: our bank accounts, the catalogue and the customers (all invented);
- `builder.py`: builds them through the services, documents in date order;
- `bank.py`: customers pay by bank transfer: a statement imported and paired.
"""

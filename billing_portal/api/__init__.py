"""The partner REST API (top floor), addressed by contract number:

- GET  /api/contracts/<number>/eligibility/    may the contract get certificates?
- GET  /api/contracts/<number>/credit/         the credit wallet
- POST /api/contracts/<number>/credit/top-up/  issue a top-up payment request

`authentication.py` says who may call it (staff sessions until partners get their
own credentials), `serializers.py` the shapes, `views.py` the thin views that call
the apps' selectors and services, `exceptions.py` the one error format
{"code", "message", "details"}, `urls.py` the routes with the schema and docs.
"""

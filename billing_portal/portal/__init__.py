"""The customer portal (top floor): login with contract number + e-mail + password,
the contract's documents with their PDFs, the credit wallet (balance, entries, CSV,
statement, the customer's switches, top-up), the one-time "do not charge
automatically" on a request, logout.

- `access.py`: who may see a page (`portal_login_required`) and what every page
  renders with (`portal_context`, the blocking banner);
- `forms.py`: the portal's forms;
- `views/`: one module per page group (login, documents, credit);
- `urls.py`: the `portal:` URL namespace.

The views validate input, call the apps' services and selectors, and render; the
login services themselves (throttling, password rule, creating a login) are
`accounts.portal_login`.
"""

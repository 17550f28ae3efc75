"""The portal's views, one module per page group: login, documents, credit."""

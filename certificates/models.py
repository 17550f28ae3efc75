"""Models of the certificates app arrive with its issue; the app exists so the layout is fixed."""

"""Models of the timestamps app arrive with its issue; the app exists so the layout is fixed."""

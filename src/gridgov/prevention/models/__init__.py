"""Models of the prevention app: one module per part, each imported here (the app's models)."""

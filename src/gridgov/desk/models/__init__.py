"""Models of the desk app: one module per part, each imported here (the app's models)."""

"""Models of the command app: one module per part, each imported here (the app's models)."""

from gridgov.command.home import home

__all__ = ["home"]

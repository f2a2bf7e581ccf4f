"""gridgov: grid-based urban social governance (网格化社会服务管理)."""

__version__ = "0.1.0"

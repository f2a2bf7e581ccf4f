"""The quality API at /api/v1/quality/: thin — parse, call one service or selector, render."""

from __future__ import annotations

from ninja import Router

router = Router()

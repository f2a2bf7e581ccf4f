"""Indicator providers other modules register after they exist (the coordinator wires them).

``PROJECT_COMPLETION`` (the project list, command/project*.py) and ``REGISTRATION_QUALITY`` (the
latest verification-campaign estimate, quality/) each take ``(unit_code, month_start, month_end)`` —
a division prefix, or ``"dept:<department code>"`` for a department — and return a value in [0, 1]
or None. Until a provider is registered they return None: "no data" (无数据) in the scorecard, whose
weight is redistributed over the other indicators (command/scorecard.py).

Wiring, e.g. in the projects module's AppConfig.ready()::

    from gridgov.command.hooks import PROJECT_COMPLETION
    PROJECT_COMPLETION.register(project_completion_rate)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

Provider = Callable[[str, date, date], "float | None"]


class Hook:
    def __init__(self, name: str):
        self.name = name
        self._provider: Provider | None = None

    def register(self, provider: Provider | None) -> None:
        """Set (or, with None, remove) the provider."""
        self._provider = provider

    @property
    def registered(self) -> bool:
        return self._provider is not None

    def __call__(self, unit_code: str, month_start: date, month_end: date) -> float | None:
        if self._provider is None:
            return None
        return self._provider(unit_code, month_start, month_end)


PROJECT_COMPLETION = Hook("project_completion")
REGISTRATION_QUALITY = Hook("registration_quality")

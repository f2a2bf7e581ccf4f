"""A dependency-free progress line for long CLI steps."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, stream=None, min_interval: float = 0.2):
        self.stream = stream or sys.stderr
        self.min_interval = min_interval
        self._last = 0.0
        self._stage: str | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = total and done >= total
        if stage == self._stage and not finished and now - self._last < self.min_interval:
            return
        self._last, self._stage = now, stage
        if total:
            width = 30
            filled = int(width * min(done, total) / total)
            line = f"\r  {stage:<28} [{'#' * filled}{'.' * (width - filled)}] {done:>8,}/{total:,}"
        else:
            line = f"\r  {stage:<28} {done:>8,}"
        self.stream.write(line)
        if finished:
            self.stream.write("\n")
        self.stream.flush()

"""A one-line progress display on stderr for work that takes more than a moment.

Silent when stderr is not a terminal (CI logs, pre-commit) and for the first
half second, so quick runs print nothing extra.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

DELAY = 0.5


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.start = time.monotonic()
        self.shown = False

    def update(self, done: int) -> None:
        if not self.enabled or time.monotonic() - self.start < DELAY:
            return
        width = 30
        filled = width * done // max(self.total, 1)
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

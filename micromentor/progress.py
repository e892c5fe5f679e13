"""Progress of a long run (sync, demo) on stderr: a tqdm bar when stderr is a terminal, else one line per
step, so logs and pipes keep readable lines and stdout stays one JSON document."""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["Progress"]


class Progress:
    def __init__(
        self, total: int, what: str, *, unit: str, stream: TextIO | None = None, step_lines: bool = True
    ) -> None:
        """`step_lines=False`: without a terminal, steps print nothing (the caller prints its own summary)."""
        self.total, self.what, self.done, self.step_lines = total, what, 0, step_lines
        self.stream = stream if stream is not None else sys.stderr
        self._bar: Any = None
        if self.stream.isatty() and total > 0:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=what, unit=unit, file=self.stream, leave=True, dynamic_ncols=True)

    @property
    def active(self) -> bool:
        """A bar is drawn (stderr is a terminal)."""
        return self._bar is not None

    def step(self, line: str) -> None:
        """One step done; `line` says what it did (the bar's postfix, or a line of its own)."""
        self.done += 1
        if self._bar is not None:
            self._bar.set_postfix_str(line[:60], refresh=False)
            self._bar.update(1)
        elif self.step_lines:
            self.stream.write(f"[{self.done}/{self.total}] {line}\n")
            self.stream.flush()

    def note(self, line: str) -> None:
        """A line that stays (a warning, a week's summary), above the bar when there is one."""
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

"""The CLI's progress display: one rich observer writing to stderr."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text


class RichObserver:
    def __init__(self) -> None:
        self.console = Console(file=sys.stderr, markup=False, highlight=False)
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
            console=self.console, transient=False,
        )
        self.task: TaskID | None = None
        self.live = False
        self.hosts = 0

    def stage_started(self, stage: str, total: int | None = None) -> None:
        if not self.console.is_terminal:  # a log file gets one line per stage, no redraws
            self.console.print(Text(f"{stage} ..."))
            return
        if not self.live:
            self.progress.start()
            self.live = True
        self.task = self.progress.add_task(stage, total=total)

    def advance(self, n: int = 1) -> None:
        if self.task is not None and n:
            self.progress.advance(self.task, n)

    def host_found(self, ip: str) -> None:
        self.hosts += 1
        if self.task is not None and self.live:
            base = self.progress.tasks[-1].description.split(" · ")[0]
            self.progress.update(self.task, description=f"{base} · {self.hosts} hosts found")

    def note(self, message: str) -> None:
        self.console.print(Text(message))

    def stage_finished(self, summary: str = "") -> None:
        if not self.console.is_terminal:
            if summary:
                self.console.print(Text(f"  {summary}"))
            return
        if self.task is not None:
            task = self.progress.tasks[-1]
            self.progress.update(self.task, completed=task.total or task.completed,
                                 description=f"{task.description}" + (f": {summary}" if summary else ""))
        if self.live and all(t.finished for t in self.progress.tasks):
            self.progress.stop()
            self.live = False

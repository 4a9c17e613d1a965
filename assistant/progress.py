"""One progress bar for the long CLI commands (ingest, eval runs): a stage per line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


@contextmanager
def progress_bar(console: Console) -> Iterator[ProgressCallback]:
    """Yields ``progress(stage, done, total)``: each new stage gets its own bar."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done)

        yield progress

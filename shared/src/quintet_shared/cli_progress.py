"""The progress bar an operator command shows while it reads a file: bytes read of the file's size,
speed and time left, on stderr, gone when done. Its callback may be called from any thread (a
parser thread reports as it reads)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn


@contextmanager
def file_progress(console: Console, name: str, total: int) -> Iterator[Callable[[int, int | None], None]]:
    """A bar for `total` bytes; yields `report(done, total)`, the callback a bulk load takes."""
    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(name, total=total)
        yield lambda done, _total: bar.update(task, completed=done)

"""Running a piece of work in a fresh interpreter, measuring its time and its peak memory.

For tests that prove a hostile input costs bounded memory: the measure must be of a process that
does nothing else (not of the test runner, whose memory depends on every test before), and a
regression must not take the machine down with it. `measured(prepare, *args)` starts a spawned
interpreter under an address-space cap, calls `prepare(*args)` there to build whatever the work
needs (imports, an engine, a stream), takes the process's resident size as its idle size, resets
the kernel's peak counter (VmHWM), runs the callable that `prepare` returned, and reports its
result (or the exception it raised, as text), its seconds and its peak resident size above idle.

Test modules are not importable by name (pytest's importlib mode), so `prepare` may be given as
"path/to/file.py:function", loaded by path in the child.
"""

import importlib.util
import multiprocessing
import resource
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024
ADDRESS_SPACE_CAP = 4096 * MB  # far above any bound under test, far below what the machine has


@dataclass(frozen=True)
class Measured:
    result: Any  # what the work returned, or None when it raised
    error: str | None  # "ExceptionType: message" when the work raised
    seconds: float
    peak_above_idle: int  # bytes

    @property
    def peak_above_idle_mb(self) -> float:
        return round(self.peak_above_idle / MB, 1)


Prepare = Callable[..., Callable[[], Any]]


def measured(prepare: Prepare | str, *args: Any, timeout: float = 120) -> Measured:
    """Run `prepare(*args)()` in a fresh interpreter; `prepare` (a module-level function, or
    "file.py:function") and its arguments must pickle. Raises TimeoutError past `timeout` seconds."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_child, args=(results, prepare, args), daemon=True)
    process.start()
    try:
        outcome: Measured = results.get(timeout=timeout)
    except Exception as error:
        exit_code = process.exitcode
        raise TimeoutError(f"no answer from the measured process in {timeout} s (exit code {exit_code})") from error
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.kill()
            process.join()
    return outcome


def _child(results: Any, prepare: Prepare | str, args: tuple[Any, ...]) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_CAP, ADDRESS_SPACE_CAP))
    work = (_load(prepare) if isinstance(prepare, str) else prepare)(*args)
    idle = _status_kb("VmRSS")
    _reset_peak()
    started = time.perf_counter()
    result, error = None, None
    try:
        result = work()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    seconds = time.perf_counter() - started
    peak = max(_status_kb("VmHWM"), idle)
    results.put(Measured(result, error, round(seconds, 2), (peak - idle) * 1024))


def _load(spec: str) -> Prepare:
    path, _colon, name = spec.rpartition(":")
    module_spec = importlib.util.spec_from_file_location("measured_work", path)
    assert module_spec is not None and module_spec.loader is not None, spec
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, name)  # type: ignore[no-any-return]


def _reset_peak() -> None:
    """Make VmHWM start again from the current size (Linux: `5` in clear_refs). Where that is not
    allowed the peak includes the preparation, which only overstates the growth."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")

"""A background thread for the Explore page: runs a sweep (or trains its best config) and keeps the
latest progress for the page to poll. It never calls st.*; the page only reads it."""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterator


class BackgroundJob:
    def __init__(self, kind: str, work: Callable[[threading.Event, Callable[[Any], None]], Iterator[Any] | Any]):
        """work(stop, report) runs in the thread; whatever it yields or reports becomes `latest`,
        what it returns (or yields last) becomes `result`."""
        self.kind = kind
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._latest: Any = None
        self.result: Any = None
        self.error: str | None = None
        self._done = threading.Event()
        self._work = work
        self._thread = threading.Thread(target=self._run, name=f"digitlab-{kind}", daemon=True)
        self._thread.start()

    def _report(self, item: Any) -> None:
        with self._lock:
            self._latest = item

    def _run(self) -> None:
        try:
            out = self._work(self.stop, self._report)
            if isinstance(out, Iterator):
                for item in out:
                    self._report(item)
                    out = item
            self.result = out
        except Exception as exc:  # shown on the page as a message; the server stays up
            self.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
        finally:
            self._done.set()

    @property
    def latest(self) -> Any:
        with self._lock:
            return self._latest

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def join(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

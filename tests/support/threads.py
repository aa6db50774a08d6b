"""Run one function in several threads at once; what they raised, for a test to assert on."""
from __future__ import annotations

import threading
from typing import Callable, Iterable


def errors_in_threads(work: Callable[..., object], args: Iterable[tuple]) -> list[Exception]:
    """Start a thread per argument tuple, all before any is joined; the exceptions they raised."""
    errors: list[Exception] = []

    def run(*a):
        try:
            work(*a)
        except Exception as exc:  # returned to the test, which asserts on it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors

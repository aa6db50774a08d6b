"""Waiting for a background job's event in unit tests: poll a predicate until it holds, or fail."""
import time


def wait_until(predicate, timeout: float = 120.0, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(poll)

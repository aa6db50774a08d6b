"""The benchmarks' CPU clock (tests.support.cpu_clock): fine-grained, and counting every thread."""
import subprocess
import sys

import psutil

from tests.support.cpu_clock import process_cpu

# Three threads that each spin for a while, then a pause: the threads have ended when it is read.
BUSY = """import threading, time
def spin():
    end = time.thread_time() + 0.1
    while time.thread_time() < end: pass
threads = [threading.Thread(target=spin) for _ in range(3)]
[t.start() for t in threads]; [t.join() for t in threads]
print("done", flush=True); time.sleep(30)"""


def test_a_process_cpu_counts_its_ended_threads_and_agrees_with_the_kernels_ticks():
    child = subprocess.Popen([sys.executable, "-c", BUSY], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"
        proc = psutil.Process(child.pid)
        seconds = process_cpu(proc)
        ticks = sum(proc.cpu_times()[:2])
        assert seconds >= 0.3  # the three threads' spinning, though they have ended
        assert abs(seconds - ticks) < 0.05  # the same time as psutil's 10 ms ticks, finer
        assert seconds != round(seconds, 2)  # nanoseconds, not whole 10 ms ticks
    finally:
        child.kill()
        child.wait()
    try:
        process_cpu(proc)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError("an ended process's CPU time was read")

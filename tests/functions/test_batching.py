"""The batching executor releases results only after its barrier has run."""

from __future__ import annotations

import threading

import pytest

from convexlite.functions.batching import BatchingExecutor


def test_calls_run_in_order_on_one_thread_and_wait_for_the_barrier():
    gate = threading.Event()
    barriers: list[int] = []
    ran: list[tuple[int, str]] = []
    executor = BatchingExecutor(lambda: barriers.append(len(ran)))
    blocker = executor.submit(gate.wait)
    futures = [
        executor.submit(lambda i=i: ran.append((i, threading.current_thread().name)) or i)
        for i in range(5)
    ]
    gate.set()
    assert [f.result(timeout=5) for f in futures] == [0, 1, 2, 3, 4]
    assert blocker.result(timeout=5) is True
    assert [i for i, _ in ran] == [0, 1, 2, 3, 4]
    assert {name for _, name in ran} == {"convexlite-functions"}
    assert barriers[-1] == 5
    executor.shutdown()


def test_a_failing_barrier_fails_every_call_of_its_batch():
    def barrier() -> None:
        raise OSError("disk gone")

    executor = BatchingExecutor(barrier)
    future = executor.submit(lambda: 42)
    with pytest.raises(OSError, match="disk gone"):
        future.result(timeout=5)
    executor.shutdown()


def test_errors_of_one_call_do_not_affect_the_others():
    executor = BatchingExecutor(lambda: None)
    bad = executor.submit(lambda: 1 / 0)
    good = executor.submit(lambda: "ok")
    with pytest.raises(ZeroDivisionError):
        bad.result(timeout=5)
    assert good.result(timeout=5) == "ok"
    executor.shutdown()


def test_shutdown_finishes_queued_calls_and_refuses_new_ones():
    executor = BatchingExecutor(lambda: None)
    futures = [executor.submit(lambda i=i: i * 2) for i in range(100)]
    executor.shutdown(wait=True)
    assert [f.result(timeout=5) for f in futures] == [i * 2 for i in range(100)]
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(lambda: None)

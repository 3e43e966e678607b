"""Real threads released together, for the PostgreSQL locking tests."""

import threading

from django.db import connections


def race(n: int, work) -> list:
    """Run work(i) in n threads started at the same instant; collect results or errors."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results

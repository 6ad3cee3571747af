"""Where replications run: in this process, in local worker processes, or on a Dask cluster.

Each executor takes ``(key, scenario data, seed, replication)`` tasks and yields
``(key, summary)`` as tasks finish. Results depend only on the task, never on the
executor, so the same seed gives identical results everywhere. Processes and Dask workers
get tasks in batches (about ``BATCHES_PER_WORKER`` per worker), so that sending a scenario
and collecting a result is paid per batch, not per replication.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from ..errors import ServsimError
from .tasks import run_batch, run_tasks

Task = tuple[Any, dict, int, int]
# a cluster servsim starts for itself serves no dashboard: its diagnostics (a statistical profiler sampling every
# worker 100 times a second, event-loop and system monitors) would only cost CPU
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                        "distributed.admin.system-monitor.interval": "5s",
                        "distributed.worker.memory.monitor-interval": "1s"}
PARENT_CHECK_S = 0.5
BATCHES_PER_WORKER = 4  # enough batches to balance the load and show progress, few enough to be cheap


def _follow_parent(parent: int) -> None:
    """In a worker process: exit when the process that started it is gone (killed with -9, say), instead of
    lingering as an orphan."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="servsim-follow-parent").start()


def _batches(tasks: list[Task], workers: int) -> list[list[Task]]:
    size = max(1, -(-len(tasks) // (workers * BATCHES_PER_WORKER)))
    return [tasks[i:i + size] for i in range(0, len(tasks), size)]


def _processes(tasks: list[Task], workers: int | None) -> Iterator[tuple[Any, dict]]:
    workers = min(workers or os.cpu_count() or 1, len(tasks))
    if workers <= 1:
        yield from run_tasks(tasks)
        return
    with ProcessPoolExecutor(max_workers=workers, initializer=_follow_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(run_batch, batch) for batch in _batches(tasks, workers)]
        try:
            for future in as_completed(futures):
                yield from future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _dask(tasks: list[Task], address: str) -> Iterator[tuple[Any, dict]]:
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - dask is a declared dependency
        raise ServsimError("Dask is not installed: pip install 'dask[distributed]'") from None
    cluster = None
    try:
        if address == "local":
            cluster = local_cluster()
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout="5s")
            except (OSError, TimeoutError) as exc:
                raise ServsimError(
                    f"cannot reach the Dask scheduler at {address!r} ({exc}); start one with `dask scheduler`, "
                    "check the address, or use --dask local for a cluster on this machine") from None
        with client:
            # send each scenario to the workers once, not with every task
            shared: dict[int, Any] = {}
            for _, data, _, _ in tasks:
                if id(data) not in shared:
                    # a list, not the dict itself: scatter would send a dict's values under its keys
                    shared[id(data)] = client.scatter([data], broadcast=True)[0]
            workers = max(1, len(client.scheduler_info().get("workers", {})))
            # the scattered scenario futures inside a batch are resolved on the worker
            futures = [client.submit(run_batch, [(key, shared[id(data)], seed, rep) for key, data, seed, rep in batch],
                                     pure=False)
                       for batch in _batches(tasks, workers)]
            for future in dask_completed(futures):
                yield from future.result()
    finally:
        if cluster is not None:
            cluster.close()


def local_cluster():
    """A Dask LocalCluster of one single-threaded worker process per core, without diagnostics."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the workers take the configuration they start with
        return LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True,
                            dashboard_address=None, silence_logs=logging.CRITICAL)


def execute(tasks: Iterable[Task], executor: str = "processes", workers: int | None = None,
            dask: str | None = None) -> Iterator[tuple[Any, dict]]:
    """Run ``tasks`` and yield ``(key, summary)`` as they finish.

    Parameters
    ----------
    executor : ``"serial"``, ``"processes"`` (default: all cores) or ``"dask"``.
    dask : scheduler address (``tcp://host:8786``) or ``"local"`` to start a LocalCluster; implies ``"dask"``.
    """
    tasks = list(tasks)
    if not tasks:
        return iter(())
    if dask is not None:
        return _dask(tasks, dask)
    if executor == "serial" or len(tasks) == 1:
        return run_tasks(tasks)
    if executor == "processes":
        return _processes(tasks, workers)
    raise ServsimError(f"unknown executor {executor!r}; expected 'serial', 'processes' or 'dask'")

"""Executors for sweeps: in-process, a Dask distributed cluster, or Slurm via submitit.

:func:`make_executor` turns an *address* into something with ``submit`` that
:func:`scalinglab.validate.sweep.run_sweep` accepts:

* ``None`` or ``""`` -- no executor: cells run one by one in this process;
* ``"local"`` or ``"local:N"`` -- a ``dask.distributed.LocalCluster`` on this
  machine (``N`` worker processes, default 2);
* ``"tcp://HOST:PORT"`` (or any Dask scheduler address) -- a
  ``dask.distributed.Client`` connected to a running scheduler (start one
  with ``dask scheduler`` and ``dask worker ADDRESS`` on the nodes);
* ``"slurm:PARTITION"`` -- Slurm jobs through ``submitit`` (one job per
  cell; logs in ``./submitit-logs``); each job's result is waited for by a
  thread so that the returned futures are ``concurrent.futures`` futures.

Use as a context manager so the cluster / client is closed::

    with make_executor("local:2") as ex:
        run_sweep(cells, fn, folder, executor=ex)

Dask and submitit are optional (the ``cluster`` extra); a clear error says
which to install.
"""

from __future__ import annotations

from scalinglab.errors import InputError

import contextlib
from concurrent.futures import ThreadPoolExecutor

__all__ = ["make_executor", "SubmititExecutor"]


class SubmititExecutor:
    """``submit(fn, *args, **kw)`` on Slurm via submitit, returning ``concurrent.futures`` futures."""

    def __init__(self, partition, folder="submitit-logs", timeout_min=60, max_waiters=64, **slurm):
        try:
            import submitit
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("Slurm sweeps need submitit: pip install submitit") from exc
        self._ex = submitit.AutoExecutor(folder=folder)
        self._ex.update_parameters(slurm_partition=partition, timeout_min=timeout_min, **slurm)
        self._pool = ThreadPoolExecutor(max_workers=max_waiters)

    def submit(self, fn, *args, **kwargs):
        job = self._ex.submit(fn, *args, **kwargs)
        return self._pool.submit(job.result)

    def close(self):
        self._pool.shutdown(wait=False)


def _dask():
    try:
        import distributed
    except ImportError as exc:
        raise ImportError('Dask sweeps need dask.distributed: pip install "dask[distributed]" '
                          '(or pip install "scalinglab[cluster]")') from exc
    return distributed


@contextlib.contextmanager
def make_executor(address=None, threads_per_worker=1):
    """Yield an executor for ``address`` (see the module docstring); ``None`` yields ``None``.

    Parameters
    ----------
    address : str or None
        ``None``/``""``, ``"local"``, ``"local:N"``, ``"inprocess"`` (a Dask
        cluster of threads in this process, for tests), ``"tcp://..."`` or
        another Dask scheduler address, or ``"slurm:PARTITION"``.
    threads_per_worker : int
        Threads of each local Dask worker.
    """
    if address in (None, ""):
        yield None
        return
    if not isinstance(address, str):
        raise InputError(f"scheduler address must be a string, got {address!r}")
    if address.startswith("slurm:"):
        part = address.split(":", 1)[1]
        if not part:
            raise InputError("use slurm:PARTITION")
        ex = SubmititExecutor(part)
        try:
            yield ex
        finally:
            ex.close()
        return
    distributed = _dask()
    if address == "inprocess" or address == "local" or address.startswith("local:"):
        if address == "inprocess":
            kw = dict(processes=False, n_workers=1, threads_per_worker=max(1, threads_per_worker))
        else:
            n = 2
            if ":" in address:
                try:
                    n = int(address.split(":", 1)[1])
                except ValueError:
                    raise InputError(f"bad local cluster size in {address!r}; use local:N") from None
                if n < 1:
                    raise InputError("local:N needs N >= 1")
            kw = dict(n_workers=n, threads_per_worker=threads_per_worker, processes=True)
        cluster = distributed.LocalCluster(dashboard_address=None, **kw)
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
        return
    if "://" not in address:
        raise InputError(f"unknown scheduler address {address!r}: use local, local:N, tcp://HOST:PORT or "
                         "slurm:PARTITION")
    client = distributed.Client(address, timeout="20s")
    try:
        yield client
    finally:
        client.close()

"""Data-parallel training over several CPU processes (``torchrun``, the gloo backend).

On the 2-core CPU a training step of the default recipe at batch 8 takes ~7.1 s with both
cores as torch's threads and ~8.2 s with one: the second thread buys 15%. Two processes of
one thread each, every one drawing half of the batch and averaging gradients, use the
cores better (measured in ``docs/training/README.md``). One GPU needs none of this.

Launch with ``torchrun --nproc-per-node N scripts/train_default.py ...``: each process
finds its rank in the environment :func:`init_from_env` reads. Nothing here is used in a
single process (``world() == 1``), so a plain run behaves exactly as before.
"""

from __future__ import annotations

import os
from typing import Sequence

import torch
import torch.distributed as dist

from gmsa_rag.errors import ConfigError


def init_from_env(threads: int | None = None) -> tuple[int, int]:
    """Join the process group that ``torchrun`` describes (``RANK``/``WORLD_SIZE`` and the
    rendezvous address in the environment); returns (rank, world size), (0, 1) without one.

    ``threads`` per process defaults to the process's cores divided by the local world size
    (at least 1).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    local = int(os.environ.get("LOCAL_WORLD_SIZE", str(world_size)))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(threads or max(1, cores // local))
    return dist.get_rank(), dist.get_world_size()


def rank() -> int:
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def per_rank_batch(batch_size: int) -> int:
    """The share of a global batch each process draws; the batch must split evenly."""
    n = world()
    if batch_size % n:
        raise ConfigError(f"batch size {batch_size} does not split over {n} training processes; use a multiple of {n}")
    return batch_size // n


def broadcast_parameters(params: Sequence[torch.nn.Parameter]) -> None:
    """Every process takes rank 0's values (random adapter inits differ between processes)."""
    if world() > 1:
        with torch.no_grad():
            for p in params:
                dist.broadcast(p.data, src=0)


def average_gradients(params: Sequence[torch.nn.Parameter]) -> None:
    """Replace each gradient by its mean over the processes: one all-reduce of a flat buffer."""
    n = world()
    if n == 1 or not params:
        return
    for p in params:  # a parameter one process did not reach still takes part, with zeros
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    grads = [p.grad for p in params]
    flat = torch.cat([g.reshape(-1).float() for g in grads])
    dist.all_reduce(flat)
    flat /= n
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def sum_over_ranks(*values: float) -> list[float]:
    """Each value summed over the processes (for logging losses and token counts)."""
    if world() == 1:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(t)
    return t.tolist()


def any_rank(flag: bool) -> bool:
    """True on every process when it is true on one (a time limit must stop them all at once)."""
    if world() == 1:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int32)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier() -> None:
    if world() > 1:
        dist.barrier()

"""Every core for the element-wise work around the convolution layers' matrix products.

BLAS already spreads each matrix product over the cores.  The copies, adds
and comparisons around them — im2col, col2im, max-pooling — are NumPy loops
that run on one core.  They work channel by channel, with no sum across
channels, so :func:`over_blocks` splits the channels into blocks that
threads handle at once (NumPy releases the GIL inside these loops).  Each
number is computed by the same operations whatever the split, so results
are identical, bit for bit, for every thread count.

The thread count is ``NNDL_NUM_THREADS`` if set, else the number of CPUs;
:func:`set_num_threads` changes it (1 turns the threads off).

Examples
--------
>>> import numpy as np
>>> from nndl import threads
>>> x = np.arange(12.0).reshape(4, 3)
>>> def double(a, b):
...     x[a:b] *= 2
>>> threads.over_blocks(double, len(x))
>>> x[:, 0]
array([ 0.,  6., 12., 18.])
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

#: Below this many elements per block a thread costs more than it saves.
MIN_BLOCK = 32_768

_state: dict[str, object] = {"threads": None, "pool": None}


def _from_environment() -> int:
    value = os.environ.get("NNDL_NUM_THREADS", "")
    if value.strip():
        try:
            return _checked(int(value))
        except ValueError:
            raise ValueError(
                f"NNDL_NUM_THREADS must be a whole number >= 1, got {value!r}"
            ) from None
    return os.cpu_count() or 1


def _checked(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of threads must be a whole number >= 1, got {n!r}")
    return n


def get_num_threads() -> int:
    """The number of threads :func:`over_blocks` uses."""
    if _state["threads"] is None:
        _state["threads"] = _from_environment()
    return _state["threads"]  # type: ignore[return-value]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads (1: none) for the conv layers' element-wise work."""
    _state["threads"] = _checked(n)


def over_blocks(work: Callable[[int, int], None], n: int, size: int = MIN_BLOCK) -> None:
    """Call ``work(a, b)`` on consecutive blocks ``[a, b)`` of ``range(n)``, in threads.

    ``work`` must write disjoint outputs for disjoint blocks.  ``size`` is
    the number of elements one index of ``range(n)`` stands for: blocks of
    less than :data:`MIN_BLOCK` elements are not worth a thread.
    """
    k = min(get_num_threads(), n, max(1, n * size // MIN_BLOCK))
    if k <= 1:
        work(0, n)
        return
    pool = _state["pool"]
    if not isinstance(pool, ThreadPoolExecutor) or pool._max_workers < k - 1:
        pool = _state["pool"] = ThreadPoolExecutor(k - 1, thread_name_prefix="nndl")
    bounds = [n * i // k for i in range(k + 1)]
    futures = [pool.submit(work, a, b) for a, b in zip(bounds[1:-1], bounds[2:], strict=True)]
    work(bounds[0], bounds[1])  # the calling thread takes the first block
    for future in futures:
        future.result()

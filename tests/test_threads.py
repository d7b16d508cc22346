"""nndl.threads: the conv layers' element-wise work split over threads, same numbers."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nndl import threads
from nndl.sequential import Sequential


@pytest.fixture
def restore_threads():
    before = threads._state["threads"]
    yield
    threads._state["threads"] = before


def test_blocks_cover_every_index_once_in_several_threads(restore_threads):
    threads.set_num_threads(3)
    seen: list[tuple[int, int, str]] = []
    lock = threading.Lock()

    def work(a: int, b: int) -> None:
        with lock:
            seen.append((a, b, threading.current_thread().name))

    threads.over_blocks(work, 10, size=threads.MIN_BLOCK)
    assert sorted((a, b) for a, b, _ in seen) == [(0, 3), (3, 6), (6, 10)]
    caller = threading.current_thread().name
    assert [name for a, _, name in seen if a == 0] == [caller]  # the caller takes block 0
    assert all(name.startswith("nndl") for a, _, name in seen if a > 0)


def test_small_work_stays_in_the_calling_thread(restore_threads):
    threads.set_num_threads(4)
    seen = []
    threads.over_blocks(lambda a, b: seen.append((a, b)), 8, size=100)
    assert seen == [(0, 8)]


def test_errors_in_a_block_reach_the_caller(restore_threads):
    threads.set_num_threads(2)

    def work(a: int, b: int) -> None:
        if a > 0:
            raise RuntimeError(f"block {a}")

    with pytest.raises(RuntimeError, match="block"):
        threads.over_blocks(work, 4, size=threads.MIN_BLOCK)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_bad_thread_count_is_refused(bad, restore_threads):
    with pytest.raises(ValueError, match="whole number >= 1"):
        threads.set_num_threads(bad)


def test_the_environment_variable_sets_the_count(monkeypatch, restore_threads):
    threads._state["threads"] = None
    monkeypatch.setenv("NNDL_NUM_THREADS", "3")
    assert threads.get_num_threads() == 3
    threads._state["threads"] = None
    monkeypatch.setenv("NNDL_NUM_THREADS", "many")
    with pytest.raises(ValueError, match="NNDL_NUM_THREADS must be a whole number"):
        threads.get_num_threads()


def _step_results(n_threads: int, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    threads.set_num_threads(n_threads)
    net = Sequential("conv:8x3x3,pool:2,conv:6x3x3:tanh:s2,pool:2,dense:10:softmax",
                     input_shape=(1, 24, 24), seed=4, cost="log_likelihood")
    grads = net.gradients(x, y)
    return [net.feedforward(x), *grads.values()]


def test_conv_and_pool_give_the_same_bits_for_any_thread_count(restore_threads):
    rng = np.random.default_rng(0)
    # Rounded inputs: many ties for the pools' maxima, the case where order matters.
    x = np.round(rng.random((64, 576)) * 4) / 4
    y = rng.integers(0, 10, 64)
    one = _step_results(1, x, y)
    several = _step_results(4, x, y)
    for a, b in zip(one, several, strict=True):
        assert np.array_equal(a, b)

"""Sizes: one parser for --memory-limit, memory_limit= and h5linalg.distributed."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, sample

import h5linalg
from h5linalg._options import parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1000", 1000),
        ("512M", 512 * 2**20),
        ("512m", 512 * 2**20),
        ("2G", 2 * 2**30),
        ("1GiB", 2**30),
        ("1gib", 2**30),
        ("64Ki", 64 * 1024),
        ("1.5G", 3 * 2**29),
        (".5K", 512),
        ("1T", 2**40),
        ("100B", 100),
        (" 3 MiB ", 3 * 2**20),
        # The decimal units of IEC and SI.
        ("1kB", 1000),
        ("1MB", 10**6),
        ("2GB", 2 * 10**9),
        ("1TB", 10**12),
        # A fraction of a byte is rounded down.
        ("1.1K", 1126),
    ],
)
def test_parse_size(text, size):
    assert parse_size(text, "memory_limit") == size


@pytest.mark.parametrize("text", ["", "G", "-5", "5X", "1e9", "1,5G", "1 G B", "0x10"])
def test_parse_size_refuses_what_is_not_a_size(text):
    with pytest.raises(ValueError, match=r"memory_limit .* is not a size; write bytes"):
        parse_size(text, "memory_limit")


@pytest.mark.parametrize("text", ["0", "0.4", "0K"])
def test_parse_size_needs_a_byte(text):
    with pytest.raises(ValueError, match="memory_limit must be at least 1 byte"):
        parse_size(text, "memory_limit")


def test_parse_size_takes_integers_of_any_kind():
    assert parse_size(np.int64(4096), "memory_limit") == 4096
    assert parse_size(7, "memory_limit") == 7
    with pytest.raises(ValueError, match="memory_limit must be at least 1, got 0"):
        parse_size(0, "memory_limit")
    with pytest.raises(TypeError, match=r"memory_limit must be an integer .* not bool"):
        parse_size(True, "memory_limit")
    with pytest.raises(
        TypeError, match=r"memory_limit must be an integer .* not float"
    ):
        parse_size(2.0**30, "memory_limit")


def test_every_function_takes_a_size_string():
    x = sample((300, 4), "float64")
    reference = h5linalg.covariance(x, memory_limit=64 * 2**20)
    assert_close(h5linalg.covariance(x, memory_limit="64M"), reference)
    assert_close(h5linalg.gram(x, memory_limit="1GiB"), x.T @ x)
    product = h5linalg.matmul(x, np.eye(4), memory_limit="2GB")
    assert isinstance(product, np.ndarray)
    assert_close(product, x)
    # Too small, as an int would be: the core's own MemoryError, with the bytes.
    with pytest.raises(MemoryError, match="memory_limit=10 bytes"):
        h5linalg.gram(x, memory_limit="10B")

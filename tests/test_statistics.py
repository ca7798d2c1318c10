"""moments, gram, covariance and pca against NumPy, for every source kind,
dtype, layout and edge shape."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import (
    LAYOUTS,
    NO_DOF_ROWS,
    NO_DOF_WARNING,
    SHAPES,
    SOURCE_KINDS,
    assert_close,
    reference,
    sample,
)

import h5linalg

DTYPES = ("float64", "float32", "int32")

matrix = pytest.mark.parametrize("kind", SOURCE_KINDS)
layouts = pytest.mark.parametrize("layout", list(LAYOUTS))
dtypes = pytest.mark.parametrize("dtype", DTYPES)
shapes = pytest.mark.parametrize("shape", list(SHAPES.values()), ids=list(SHAPES))
# None: automatic blocks (usually one here); 4: many blocks, misaligned with chunks.
block_sizes = pytest.mark.parametrize("block_rows", [None, 4])


@matrix
@layouts
@dtypes
@shapes
@block_sizes
def test_moments(make_source, kind, layout, dtype, shape, block_rows):
    data = sample(shape, dtype)
    x = reference(data)
    with warnings.catch_warnings():
        # One row: ddof=1 leaves no degrees of freedom; covered in its own test.
        warnings.simplefilter("ignore", RuntimeWarning)
        result = h5linalg.moments(
            make_source(kind, data, layout), block_rows=block_rows
        )
        expected_var = x.var(axis=0, ddof=1)
    assert isinstance(result, h5linalg.Moments)
    assert result.count == shape[0]
    assert_close(result.mean, x.mean(axis=0))
    assert_close(result.var, expected_var)
    assert_close(result.min, x.min(axis=0))
    assert_close(result.max, x.max(axis=0))


@matrix
@layouts
@dtypes
@shapes
@block_sizes
def test_gram(make_source, kind, layout, dtype, shape, block_rows):
    data = sample(shape, dtype)
    x = reference(data)
    assert_close(
        h5linalg.gram(make_source(kind, data, layout), block_rows=block_rows), x.T @ x
    )


@matrix
@layouts
@dtypes
@shapes
@block_sizes
def test_covariance(make_source, kind, layout, dtype, shape, block_rows):
    data = sample(shape, dtype)
    x = reference(data)
    source = make_source(kind, data, layout)
    if shape[0] == 1:
        with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
            result = h5linalg.covariance(source, block_rows=block_rows)
        assert result.shape == (shape[1], shape[1])
        assert np.isnan(result).all()
        return
    expected = np.atleast_2d(np.cov(x, rowvar=False))
    assert_close(h5linalg.covariance(source, block_rows=block_rows), expected)


@matrix
@layouts
@dtypes
@shapes
def test_pca(make_source, kind, layout, dtype, shape):
    data = sample(shape, dtype)
    x = reference(data)
    source = make_source(kind, data, layout)
    k = min(3, shape[1])
    if shape[0] < 2:
        with pytest.raises(ValueError, match="at least 2 rows"):
            h5linalg.pca(source, k)
        return
    result = h5linalg.pca(source, k, block_rows=4)
    assert isinstance(result, h5linalg.PCA)
    values, vectors = np.linalg.eigh(np.atleast_2d(np.cov(x, rowvar=False)))
    order = np.argsort(values)[::-1][:k]
    assert_close(result.explained_variance, values[order])
    assert_close(result.mean, x.mean(axis=0))
    expected = vectors[:, order].T
    # Same sign convention: each component's largest-magnitude entry is positive.
    expected *= np.sign(expected[np.arange(k), np.argmax(np.abs(expected), axis=1)])[
        :, None
    ]
    # Eigenvectors of (nearly) repeated eigenvalues are not unique; compare the
    # well-separated ones exactly and all of them through the eigen-equation.
    cov = np.atleast_2d(np.cov(x, rowvar=False))
    for i, component in enumerate(result.components):
        assert np.linalg.norm(component) == pytest.approx(1.0)
        assert_close(
            cov @ component, result.explained_variance[i] * component, rtol=1e-8
        )
        others = np.delete(values, order[i])
        gap = np.abs(values[order][i] - others).min() if others.size else np.inf
        if gap > 1e-6 * values.max():
            assert_close(component, expected[i], rtol=1e-7)
        assert component[np.argmax(np.abs(component))] > 0


def test_result_shapes_are_fixed_for_one_column():
    x = np.arange(10.0).reshape(10, 1)
    assert h5linalg.gram(x).shape == (1, 1)
    assert h5linalg.covariance(x).shape == (1, 1)
    assert h5linalg.moments(x).mean.shape == (1,)
    assert h5linalg.pca(x, 1).components.shape == (1, 1)


@pytest.mark.parametrize("block_rows", [None, 1000, 333])
def test_covariance_keeps_precision_with_a_large_offset(make_source, block_rows):
    rng = np.random.default_rng(7)
    x = 1e8 + rng.normal(size=(20_000, 4))
    expected = np.cov(x, rowvar=False)
    result = h5linalg.covariance(make_source("H5Source", x), block_rows=block_rows)
    # A naive one-pass (E[x^2] - E[x]^2) answer is wrong in the first digit here.
    np.testing.assert_allclose(result, expected, rtol=1e-9, atol=1e-9)
    stats = h5linalg.moments(x, block_rows=block_rows)
    np.testing.assert_allclose(stats.var, x.var(axis=0, ddof=1), rtol=1e-9)
    # NumPy's pairwise sum is off in the 15th digit here; the exact mean is the reference.
    exact_mean = [math.fsum(column) / len(column) for column in x.T]
    np.testing.assert_allclose(stats.mean, exact_mean, rtol=2e-16)
    np.testing.assert_allclose(stats.mean, x.mean(axis=0), rtol=1e-14)


@pytest.mark.parametrize("ddof", [0, 1, 2, 5])
def test_ddof_matches_numpy(ddof):
    x = sample((7, 3), "float64")
    assert_close(h5linalg.moments(x, ddof).var, x.var(axis=0, ddof=ddof))
    assert_close(h5linalg.covariance(x, ddof=ddof), np.cov(x, rowvar=False, ddof=ddof))


@pytest.mark.parametrize("block_rows", [None, 2])
@pytest.mark.parametrize("ddof", [4, 7])  # = rows, > rows
def test_no_degrees_of_freedom_gives_numpys_infinities_and_warning(ddof, block_rows):
    x = NO_DOF_ROWS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own warnings
        expected_var = x.var(axis=0, ddof=ddof)
        expected_cov = np.cov(x, rowvar=False, ddof=ddof)
    assert np.isposinf(expected_cov).any()
    assert np.isneginf(expected_cov).any()
    assert np.isnan(expected_cov).any()
    assert np.isnan(expected_var).any()
    # NumPy's first warning, once, pointing here; not NumPy's floating-point ones.
    with pytest.warns(RuntimeWarning, match=NO_DOF_WARNING) as record:
        var = h5linalg.moments(x, ddof=ddof, block_rows=block_rows).var
    assert len(record) == 1
    assert record[0].filename == __file__
    np.testing.assert_array_equal(var, expected_var)
    with pytest.warns(RuntimeWarning, match=NO_DOF_WARNING) as record:
        cov = h5linalg.covariance(x, ddof=ddof, block_rows=block_rows)
    assert len(record) == 1
    assert record[0].filename == __file__
    np.testing.assert_array_equal(cov, expected_cov)


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_bad_ddof(bad):
    with pytest.raises((ValueError, TypeError), match="ddof"):
        h5linalg.covariance(np.ones((3, 2)), ddof=bad)


@pytest.mark.parametrize("block_rows", [None, 2])
def test_nan_and_inf_propagate_like_numpy(make_source, block_rows):
    x = sample((9, 4), "float64")
    x[3, 0] = np.nan
    x[5, 1] = np.inf
    x[6, 2] = -np.inf
    x[7, 2] = np.inf
    source = make_source("string", x)
    with np.errstate(invalid="ignore"):
        stats = h5linalg.moments(source, block_rows=block_rows)
        np.testing.assert_allclose(
            stats.mean, x.mean(axis=0), rtol=1e-14, equal_nan=True
        )
        np.testing.assert_array_equal(stats.min, x.min(axis=0))
        np.testing.assert_array_equal(stats.max, x.max(axis=0))
        np.testing.assert_array_equal(
            np.isnan(stats.var), np.isnan(x.var(axis=0, ddof=1))
        )
        expected = np.cov(x, rowvar=False)
    result = h5linalg.covariance(source, block_rows=block_rows)
    # Finite where NumPy is finite (and equal there), non-finite where it is not.
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(np.isfinite(result), finite)
    np.testing.assert_allclose(result[finite], expected[finite], rtol=1e-12)
    gram = h5linalg.gram(source, block_rows=block_rows)
    with np.errstate(invalid="ignore"):
        expected_gram = x.T @ x
    np.testing.assert_array_equal(np.isnan(gram), np.isnan(expected_gram))


def test_pca_rejects_non_finite_data():
    x = sample((20, 3), "float64")
    x[4, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        h5linalg.pca(x, 2)


@pytest.mark.parametrize("k", [0, 4, -1])
def test_pca_rejects_bad_k(k):
    with pytest.raises(ValueError, match="k must be"):
        h5linalg.pca(sample((10, 3), "float64"), k)


def test_results_are_frozen():
    stats = h5linalg.moments(np.ones((3, 2)))
    with pytest.raises(AttributeError):
        stats.count = 5  # type: ignore[misc]
    components = h5linalg.pca(sample((5, 2), "float64"), 1)
    with pytest.raises(AttributeError):
        components.mean = None  # type: ignore[misc,assignment]

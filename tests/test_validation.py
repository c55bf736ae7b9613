import numpy as np
import pytest

from fastnet._validation import (
    as_2d_float,
    as_float_array,
    as_labels,
    check_axis,
    check_int,
    check_nonnegative_float,
    check_positive_float,
    check_same_shape,
)

# also run as plain Python (NUMBA_DISABLE_JIT=1) under coverage in .ci/run
pytestmark = pytest.mark.no_jit


@pytest.mark.parametrize("dtype,expected", [(np.float32, np.float32), (np.float64, np.float64),
                                            (np.int32, np.float64), (np.bool_, np.float64),
                                            (np.float16, np.float64), (np.uint8, np.float64)])
def test_dtype_rules(dtype, expected):
    out = as_float_array(np.ones((2, 3), dtype=dtype), "X")
    assert out.dtype == expected and out.flags.c_contiguous


def test_c_contiguous_without_needless_copy():
    x = np.ones((4, 3))
    assert as_float_array(x, "X") is x
    f = np.asfortranarray(np.arange(12.0).reshape(4, 3))
    out = as_float_array(f, "X")
    assert out.flags.c_contiguous and np.array_equal(out, f)
    assert as_float_array(3.0, "x").shape == ()


def test_explicit_dtype():
    assert as_float_array([1, 2], "x", dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        as_float_array([1, 2], "x", dtype=np.int64)


@pytest.mark.parametrize("bad", [np.array(["a"]), np.array([None]), np.array([1j]),
                                 [[1.0], [1.0, 2.0]], "abc"])
def test_non_numeric_refused(bad):
    with pytest.raises(TypeError, match="^X must"):
        as_float_array(bad, "X")


def test_finite_and_shape_checks():
    with pytest.raises(ValueError, match="X must contain only finite values"):
        as_2d_float([[1.0, np.nan]])
    assert np.isnan(as_float_array([np.nan], "x", finite=False)).all()
    with pytest.raises(ValueError, match="X must be 2-D; got a 1-D array"):
        as_2d_float([1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 row"):
        as_2d_float([[1.0, 2.0]], min_samples=2)
    with pytest.raises(ValueError, match="at least 1 row"):
        as_2d_float(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="x must have at least 3 elements"):
        as_float_array([1.0], "x", min_size=3)


def test_labels():
    out = as_labels(np.array([2, 0, 1], dtype=np.uint8), n_samples=3, n_classes=3)
    assert out.dtype == np.int64 and out.tolist() == [2, 0, 1]
    assert as_labels([1.0, 0.0]).tolist() == [1, 0]
    with pytest.raises(TypeError, match="y must hold integer labels"):
        as_labels([0.5])
    with pytest.raises(TypeError, match="y must hold integer labels"):
        as_labels(["a"])
    with pytest.raises(TypeError, match="y must hold integer labels"):
        as_labels([np.nan])
    with pytest.raises(ValueError, match="y must be 1-D"):
        as_labels([[1]])
    with pytest.raises(ValueError, match="y must have 4 entries"):
        as_labels([1, 2], n_samples=4)
    with pytest.raises(ValueError, match="y must hold labels >= 0"):
        as_labels([-1])
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        as_labels([2], n_classes=2)


def test_scalar_checks():
    assert check_int(np.int32(3), "k", minimum=1) == 3
    with pytest.raises(TypeError, match="k must be an int"):
        check_int(True, "k")
    with pytest.raises(ValueError, match="k must be <= 5"):
        check_int(6, "k", maximum=5)
    assert check_positive_float(2, "lr") == 2.0
    for bad in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="lr must be a finite number > 0"):
            check_positive_float(bad, "lr")
    with pytest.raises(TypeError, match="lr must be a real number"):
        check_positive_float(None, "lr")
    assert check_nonnegative_float(0, "tol") == 0.0
    for bad in (-1e-9, np.nan, np.inf):
        with pytest.raises(ValueError, match="tol must be a finite number >= 0"):
            check_nonnegative_float(bad, "tol")
    with pytest.raises(TypeError, match="tol must be a real number >= 0"):
        check_nonnegative_float("0.1", "tol")
    assert check_axis(-1, 3) == 2
    with pytest.raises(ValueError, match=r"axis must be in \[-2, 2\)"):
        check_axis(2, 2)
    with pytest.raises(ValueError, match="a and b must have the same shape"):
        check_same_shape(np.zeros(2), np.zeros(3), "a", "b")


def test_all_finite_checks_every_slice(monkeypatch):
    import fastnet._validation as validation

    monkeypatch.setattr(validation, "FINITE_CHUNK", 7)
    x = np.zeros((5, 6))
    assert validation.all_finite(x)
    for bad in (np.nan, np.inf, -np.inf):
        for position in (0, 6, 7, 29):  # first, last of a slice, first of the next, last
            y = x.copy()
            y.flat[position] = bad
            assert not validation.all_finite(y)
            with pytest.raises(ValueError, match="X must contain only finite"):
                validation.as_2d_float(y, "X")

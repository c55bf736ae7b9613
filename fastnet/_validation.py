"""Boundary checks shared by every public function.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right
kind, wrong value) with a message that names the argument and says what would be
valid.  Conversions return C-contiguous arrays; float32 is kept as float32 and
every other real numeric dtype becomes float64.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._jit import prange, serial_or_parallel_jit

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _describe(x) -> str:
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return f"an array of dtype {dtype}"
    return f"a {type(x).__name__}"


def float_dtype(x, name: str, dtype=None) -> np.dtype:
    """The float dtype ``x`` converts to: its own if float32/float64, else float64."""
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype not in _FLOAT_DTYPES:
            raise ValueError(f"dtype must be float32 or float64; got {dtype}")
        return dtype
    kind = x.dtype.kind
    if kind not in "biuf":
        raise TypeError(
            f"{name} must hold real numbers (bool, int or float); got {_describe(x)}"
        )
    return x.dtype if x.dtype in _FLOAT_DTYPES else np.dtype(np.float64)


def as_float_array(x, name: str, *, ndim=None, finite: bool = True, dtype=None,
                   min_size: int = 0) -> np.ndarray:
    """``x`` as a C-contiguous float32/float64 array, checked.

    Parameters
    ----------
    ndim : int, tuple of int or None
        Accepted numbers of dimensions.
    finite : bool
        Refuse NaN and +/-inf.
    dtype : None, float32 or float64
        Target dtype; None keeps float32 and float64 and turns other numbers into float64.
    min_size : int
        Smallest accepted number of elements.
    """
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested sequences
        raise TypeError(f"{name} must be an array of real numbers; {exc}") from None
    target = float_dtype(arr, name, dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}; "
                             f"got a {arr.ndim}-D array of shape {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} elements; got shape {arr.shape}")
    arr = np.asarray(arr, dtype=target, order="C")  # unlike ascontiguousarray, keeps 0-d
    if finite and not all_finite(arr):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


#: Elements per slice of :func:`all_finite`: bounds its temporary to 1 MiB.
FINITE_CHUNK = 1 << 20


def all_finite(arr: np.ndarray) -> bool:
    """No NaN or inf in the C-contiguous ``arr``; checked in slices, so the boolean
    temporary stays at :data:`FINITE_CHUNK` bytes however large ``arr`` is."""
    flat = arr.reshape(-1)
    return all(np.isfinite(flat[i:i + FINITE_CHUNK]).all()
               for i in range(0, flat.size, FINITE_CHUNK))


def as_2d_float(X, name: str = "X", *, finite: bool = True, dtype=None,
                min_samples: int = 1, min_features: int = 1) -> np.ndarray:
    """A 2-D float matrix with at least ``min_samples`` rows and ``min_features`` columns."""
    arr = as_float_array(X, name, ndim=2, finite=finite, dtype=dtype)
    n, m = arr.shape
    if n < min_samples or m < min_features:
        raise ValueError(
            f"{name} must have at least {min_samples} row(s) and {min_features} column(s); "
            f"got shape {arr.shape}"
        )
    return arr


def as_labels(y, name: str = "y", *, n_samples=None, n_classes=None) -> np.ndarray:
    """A 1-D int64 vector of class labels in ``[0, n_classes)``.

    Integer arrays are accepted, and float arrays whose values are all whole numbers.
    """
    try:
        arr = np.asarray(y)
    except (ValueError, TypeError) as exc:
        raise TypeError(f"{name} must be a 1-D array of integer labels; {exc}") from None
    if arr.dtype.kind == "f":
        if not (np.isfinite(arr).all() and (arr == np.round(arr)).all()):
            raise TypeError(f"{name} must hold integer labels; got non-integral floats")
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer labels; got {_describe(arr)}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {arr.shape}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} must have {n_samples} entries (one per row); got {arr.shape[0]}")
    if arr.size and arr.min() < 0:
        raise ValueError(f"{name} must hold labels >= 0; got {arr.min()}")
    if n_classes is not None and arr.size and arr.max() >= n_classes:
        raise ValueError(
            f"{name} must hold labels in [0, {n_classes}) for {n_classes} classes; got {arr.max()}"
        )
    return np.ascontiguousarray(arr, dtype=np.int64)


@serial_or_parallel_jit
def _probability_row_errors(P, tol, normalized, errors):
    """One pass over the rows: 1 = an entry outside [0, 1] (or NaN), 2 = row sum off by > tol."""
    for i in prange(P.shape[0]):
        code = 0
        total = 0.0
        for v in P[i]:
            if not (0.0 <= v <= 1.0):
                code = 1
            total += v
        if code == 0 and normalized and abs(total - 1.0) > tol:
            code = 2
        errors[i] = code


def as_probabilities(P, name: str, *, ndim=(1, 2), normalized: bool = True,
                     dtype=None) -> np.ndarray:
    """Probabilities in ``[0, 1]``; with ``normalized`` every row (last axis) sums to 1.

    The row-sum tolerance is ``sqrt(eps)`` of the dtype times the row length, loose
    enough for float32 softmax output.  The check is a single compiled pass.
    """
    arr = as_float_array(P, name, ndim=ndim, finite=False, dtype=dtype)
    if arr.size == 0:
        return arr
    rows = arr.reshape(-1, arr.shape[-1])
    errors = np.empty(rows.shape[0], dtype=np.int8)
    tol = float(np.sqrt(np.finfo(arr.dtype).eps)) * max(1, arr.shape[-1])
    _probability_row_errors(rows.size)(rows, tol, normalized, errors)
    bad = np.flatnonzero(errors)
    if bad.size:
        row = int(bad[0])
        if errors[row] == 1:
            values = rows[row]
            first_bad = values[~((values >= 0) & (values <= 1))][0]
            raise ValueError(f"{name} must hold probabilities in [0, 1] (finite); "
                             f"row {row} has {first_bad}")
        total = rows[row].sum(dtype=np.float64)
        raise ValueError(f"{name} rows must sum to 1 (probability distributions); "
                         f"row {row} sums to {total:.6g}")
    return arr


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; "
                         f"got {a.shape} and {b.shape}")


def check_int(value, name: str, *, minimum=None, maximum=None) -> int:
    """An integer (not bool) within ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}; got {value}")
    return int(value)


def check_positive_float(value, name: str) -> float:
    """A finite real number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    return value


def check_nonnegative_float(value, name: str) -> float:
    """A finite real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number >= 0; got {type(value).__name__}")
    value = float(value)
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0; got {value}")
    return value


def check_axis(axis, ndim: int, name: str = "axis") -> int:
    """A valid axis for an array of ``ndim`` dimensions, made non-negative."""
    check_int(axis, name)
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must be in [{-ndim}, {ndim}) for a {ndim}-D array; got {axis}")
    return int(axis) % ndim

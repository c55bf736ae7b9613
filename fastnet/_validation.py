"""Boundary checks shared by every public function.

Each check raises ``TypeError`` (wrong kind of object) or ``ValueError`` (right
kind, wrong value) with a message that names the argument and says what would be
valid.  Conversions return C-contiguous arrays; float32 is kept as float32 and
every other real numeric dtype becomes float64.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _describe(x) -> str:
    dtype = getattr(x, "dtype", None)
    if dtype is not None:
        return f"an array of dtype {dtype}"
    return f"a {type(x).__name__}"


def float_dtype(x, name: str, dtype=None) -> np.dtype:
    """The float dtype ``x`` converts to: its own if float32/float64, else float64."""
    if x.dtype.kind not in "biuf":  # also with an explicit dtype: no silent casts
        raise TypeError(
            f"{name} must hold real numbers (bool, int or float); got {_describe(x)}"
        )
    if dtype is not None:
        return check_float_dtype(dtype)
    return x.dtype if x.dtype in _FLOAT_DTYPES else np.dtype(np.float64)


def real_float64(value, name: str, expected: str) -> np.ndarray:
    """``value`` as a float64 array if it holds real numbers (bool, int, float); complex,
    strings and objects raise ``TypeError: {name} must be {expected}``, never a silent
    cast.  Shape and finiteness are the caller's to check."""
    try:
        arr = np.asarray(value)
        if arr.dtype.kind in "biuf":
            return arr.astype(np.float64)
    except (TypeError, ValueError):  # ragged nested sequences
        pass
    raise TypeError(f"{name} must be {expected}; got {value!r}")


def check_float_dtype(dtype, name: str = "dtype") -> np.dtype:
    """``dtype`` as ``np.dtype(float32)`` or ``np.dtype(float64)``."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be float32 or float64; got {dtype!r}") from None
    if dt not in _FLOAT_DTYPES:
        raise ValueError(f"{name} must be float32 or float64; got {dt}")
    return dt


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


def check_bool(value, name: str) -> bool:
    """``True`` or ``False`` (NumPy booleans too); strings and numbers are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


#: Refuse a single result larger than this share of the machine's RAM.
MEMORY_FRACTION = 0.5


def physical_memory() -> int:
    """Bytes of RAM (16 GiB where the platform does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return 16 * 2**30


def check_fits_in_memory(n_bytes, name: str, what: str, hint: str = "") -> None:
    """Refuse, before allocating, a request for more than :data:`MEMORY_FRACTION` of RAM.

    ``name`` is the argument responsible, ``what`` describes the allocation."""
    ram = physical_memory()
    if n_bytes > MEMORY_FRACTION * ram:
        raise ValueError(f"{name}: {what} needs {n_bytes / 2**30:.4g} GiB, more than "
                         f"{MEMORY_FRACTION:.0%} of this machine's {ram / 2**30:.1f} GiB"
                         + (f"; {hint}" if hint else ""))


def seed_from_random_state(random_state, name: str = "random_state"):
    """scikit-learn's ``random_state`` as a fastnet seed: None, a ``SeedSequence`` and
    ints >= 0 pass through; a ``RandomState`` or ``Generator`` gives one int drawn
    from it (advancing it, as scikit-learn does)."""
    if random_state is None or isinstance(random_state, np.random.SeedSequence):
        return random_state
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"{name} must be an int >= 0; got {random_state}")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    raise TypeError(f"{name} must be None, an int >= 0, a numpy.random.SeedSequence, "
                    f"RandomState or Generator; got {type(random_state).__name__}")

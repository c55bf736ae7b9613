"""Helpers of the scikit-learn estimator contract shared by fastnet's estimator
classes: scikit-learn's input validation with errors that name the argument, the
check of ``sample_weight``, and a rollback that leaves an estimator as it was when
``fit`` fails."""

from __future__ import annotations

import contextlib
import numbers
import re

import numpy as np

__all__ = ["check_sample_weight", "unchanged_on_error", "validate_data"]


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Restore the attributes of ``estimator`` if the block raises: a failed ``fit``
    leaves a fitted estimator as it was (scikit-learn's ``validate_data`` sets
    ``n_features_in_`` before the fit can fail)."""
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        vars(estimator).clear()
        vars(estimator).update(saved)
        raise


def validate_data(estimator, X, y="no_validation", **kwargs):
    """scikit-learn's ``validate_data``, with errors that name the argument: a message
    that does not mention ``X`` (such as "Expected 2D array, got 1D array instead") is
    prefixed with ``X:`` (``X, y:`` when ``y`` is validated too)."""
    from sklearn.utils.validation import validate_data as sklearn_validate_data

    try:
        return sklearn_validate_data(estimator, X, y, **kwargs)
    except (ValueError, TypeError) as exc:
        text = str(exc)
        if re.search(r"\bX\b", text) or (not isinstance(y, str) and re.search(r"\by\b", text)):
            raise
        name = "X" if isinstance(y, str) else "X, y"
        try:
            renamed = type(exc)(f"{name}: {text}")
        except Exception:  # noqa: BLE001 - an exception type with another signature
            raise exc from None
        raise renamed from None


def check_sample_weight(sample_weight, X, dtype=np.float64):
    """``sample_weight`` as a float64 vector of one finite weight per row of X (ones
    when None, a scalar repeated), with scikit-learn's errors (all-zero weights too)."""
    n = X.shape[0]
    if sample_weight is None:
        return np.ones(n, dtype=dtype)
    if isinstance(sample_weight, numbers.Number):
        weights = np.full(n, sample_weight, dtype=dtype)
    else:
        from sklearn.utils import check_array

        weights = check_array(sample_weight, accept_sparse=False, ensure_2d=False,
                              dtype=dtype, order="C", copy=True, input_name="sample_weight")
        if weights.ndim != 1:
            raise ValueError(f"Sample weights must be 1D array or scalar, got {weights.ndim}D "
                             f"array. Expected either a scalar value or a 1D array of length "
                             f"{n}.")
        if weights.shape != (n,):
            raise ValueError(f"sample_weight.shape == {weights.shape}, expected {(n,)}!")
    if np.all(weights == 0):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return weights

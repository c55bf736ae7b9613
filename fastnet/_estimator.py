"""Helpers of the scikit-learn estimator contract shared by fastnet's estimator
classes: scikit-learn's input validation with errors that name the argument, and a
rollback that leaves an estimator as it was when ``fit`` fails."""

from __future__ import annotations

import contextlib
import re

__all__ = ["unchanged_on_error", "validate_data"]


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

"""The MLP's matrix products: one SciPy BLAS ``gemm`` call each, into a preallocated
buffer, and the epoch of products alone that the benchmark table uses as the floor of
:meth:`fastnet.nn.MLP.fit`.

Only SciPy's BLAS is used: NumPy bundles a separate OpenBLAS, and alternating the two
in one loop leaves the idle threads of one spinning on the cores the other needs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["gemm_for", "forward_product", "backward_product", "sgd_weight_step",
           "blas_floor_epoch"]


# Every product is one call of SciPy's BLAS ``gemm`` (C = alpha op(A) op(B) + beta C),
# written into a preallocated buffer.  gemm is column-major and our arrays are
# row-major, so each product is issued transposed: the transpose of a C-contiguous
# array is Fortran-contiguous and reaches BLAS without a copy (``fortran`` checks).
def fortran(a):
    if not a.flags.f_contiguous:  # f2py would copy it, and an output copy is lost
        raise AssertionError("internal error: a BLAS operand is not contiguous")
    return a


def forward_product(gemm, h, W, out):
    """``out = h @ W``, i.e. ``out^T = W^T h^T``."""
    gemm(1.0, fortran(W.T), fortran(h.T), c=fortran(out.T), overwrite_c=True)


def backward_product(gemm, delta, W, out):
    """``out = delta @ W^T``, i.e. ``out^T = W delta^T``."""
    gemm(1.0, fortran(W.T), fortran(delta.T), c=fortran(out.T), trans_a=True,
         overwrite_c=True)


def sgd_weight_step(gemm, W, h, delta, step):
    """``W -= step * h^T @ delta`` in place (one gemm with beta = 1, no gradient matrix):
    ``W^T += -step delta^T h``."""
    gemm(-step, fortran(delta.T), fortran(h.T), beta=1.0, c=fortran(W.T), trans_b=True,
         overwrite_c=True)


def gemm_for(dtype):
    from scipy.linalg.blas import get_blas_funcs

    return get_blas_funcs("gemm", dtype=dtype)


def blas_floor_epoch(X: np.ndarray, layer_sizes: Sequence[int], batch_size: int) -> None:
    """The epoch's BLAS products alone, the floor the benchmark compares :meth:`MLP.fit`
    against (internal to fastnet's benchmark table, not part of the public API).

    Per batch of ``X``'s rows, the same ``gemm`` calls into preallocated buffers that
    training makes: the forward products, the back-propagated deltas and the in-place
    weight steps, with none of the element-wise work between them.  The weights and
    deltas are random values of ``X``'s dtype: NaN or subnormal operands would make
    the products slower than in training.
    """
    gemm = gemm_for(X.dtype)
    gen = np.random.default_rng(0)
    coefs = [(gen.standard_normal((a, b)) * np.sqrt(2 / (a + b))).astype(X.dtype)
             for a, b in zip(layer_sizes[:-1], layer_sizes[1:], strict=True)]
    acts = [np.empty((batch_size, w), X.dtype) for w in layer_sizes[1:]]
    deltas = [(gen.random((batch_size, w)) - 0.5).astype(X.dtype) for w in layer_sizes[1:]]
    for start in range(0, X.shape[0], batch_size):
        x = X[start:start + batch_size]
        r = x.shape[0]
        h = x
        for W, a in zip(coefs, acts, strict=True):
            forward_product(gemm, h, W, a[:r])
            h = a[:r]
        delta = deltas[-1][:r]
        for k in range(len(coefs) - 1, -1, -1):
            if k:
                backward_product(gemm, delta, coefs[k], deltas[k - 1][:r])
            sgd_weight_step(gemm, coefs[k], x if k == 0 else acts[k - 1][:r], delta, 1e-9)
            if k:
                delta = deltas[k - 1][:r]

"""
Signal flow of a feedforward block model
========================================

A feedforward stochastic block model: 10 blocks, each projecting mostly to the next
one. Signal flow (Varshney et al., 2011) places every node on a line so that edges point
"downhill"; in a feedforward chain the blocks come out in their order, about one unit
apart.
"""

import matplotlib.pyplot as plt
import numpy as np

from fastnet import plot
from fastnet.graph import block_labels, feedforward_block_probs, sbm, signal_flow

n_blocks, block = 10, 10_000
sizes = [block] * n_blocks
p = feedforward_block_probs(n_blocks, 1e-5, 5e-4, 5e-4)  # within, forward, backward/other
A = sbm(sizes, p, directed=True, sparse=True, seed=0)
z = signal_flow(A)
labels = block_labels(sizes)

means = [z[labels == b].mean() for b in range(n_blocks)]
print(f"{A.shape[0]:,} nodes, {A.nnz:,} directed edges")
print("mean signal flow by block:", " ".join(f"{m:+.2f}" for m in means))
print("blocks in order:", bool(np.all(np.diff(means) < 0) or np.all(np.diff(means) > 0)))

fig, ax = plt.subplots(layout="constrained")
plot.signal_flow_by_block(z, labels, ax=ax)
ax.set_title(f"Signal flow per block: feedforward SBM of {n_blocks} x {block:,} nodes")
plt.show()

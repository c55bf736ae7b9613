"""asv suites of issue 20's large graphs: sampling a 10-block feedforward SBM with
about 10 edges per node at 10^6 and 10^7 nodes (time and peak memory), its signal flow,
and sharded sampling and signal flow on a 2-worker LocalCluster against the one-machine
path."""

import numpy as np

from fastnet.graph import feedforward_block_probs, sbm, sharded_sbm, signal_flow

N_BLOCKS = 10


def _probs(n_nodes):
    """About 10 edges per node, whatever the size (4 within the block, 4 to the next,
    2 to the others together)."""
    size = n_nodes // N_BLOCKS
    return feedforward_block_probs(N_BLOCKS, 0.25 / size, 4.0 / size, 4.0 / size)


def _sample(n_nodes, dtype):
    return sbm([n_nodes // N_BLOCKS] * N_BLOCKS, _probs(n_nodes), directed=True,
               sparse=True, dtype=dtype, seed=1)


class LargeSBM:
    params = ([10**6, 10**7], ["float64", "bool"])
    param_names = ["n_nodes", "dtype"]
    timeout = 600

    def setup(self, n_nodes, dtype):
        _sample(10**4, dtype)  # compile or load from the cache outside the timing

    def time_sample(self, n_nodes, dtype):
        _sample(n_nodes, dtype)

    def peakmem_sample(self, n_nodes, dtype):
        _sample(n_nodes, dtype)


class LargeSignalFlow:
    params = ([10**6], ["float64", "bool"])
    param_names = ["n_nodes", "dtype"]
    timeout = 600

    def setup(self, n_nodes, dtype):
        signal_flow(_sample(10**4, dtype))
        self.A = _sample(n_nodes, dtype)

    def time_signal_flow(self, n_nodes, dtype):
        signal_flow(self.A)

    def peakmem_signal_flow(self, n_nodes, dtype):
        signal_flow(self.A)


class ShardedSampling:
    """sharded_sbm on a 2-worker LocalCluster (processes) against sbm in this process,
    the same graph; to_scipy gathers it back, as a user checking a small graph would."""

    params = ["sharded", "one_machine"]
    param_names = ["path"]
    timeout = 600

    def setup(self, path):
        self.cluster = self.client = None
        if path == "sharded":
            from distributed import Client, LocalCluster

            self.cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                        dashboard_address=None)
            self.client = Client(self.cluster)
            self.sample()  # workers compile or load the kernels outside the timing
        else:
            _sample(10**4, np.float64)

    def teardown(self, path):
        if self.client is not None:
            self.client.close()
            self.cluster.close()

    def sample(self):
        if self.client is None:
            return _sample(10**6, np.float64)
        return sharded_sbm([10**5] * N_BLOCKS, _probs(10**6), directed=True, seed=1,
                           client=self.client).to_scipy()

    def time_sample(self, path):
        self.sample()


class ShardedSignalFlow(ShardedSampling):
    """signal_flow of the 10^6-node graph: on the shards of a 2-worker LocalCluster
    against the one-machine sparse solve."""

    def setup(self, path):
        super().setup(path)
        if self.client is None:
            self.graph = _sample(10**6, np.float64)
        else:
            self.graph = sharded_sbm([10**5] * N_BLOCKS, _probs(10**6), directed=True,
                                     seed=1, client=self.client)
        signal_flow(self.graph)  # kernels compiled or loaded outside the timing

    def time_signal_flow(self, path):
        signal_flow(self.graph)

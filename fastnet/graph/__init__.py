"""Graphs: stochastic block model sampling, signal flow and spectral tools."""

from .sbm import block_labels, feedforward_block_probs, sbm

__all__ = ["sbm", "feedforward_block_probs", "block_labels"]

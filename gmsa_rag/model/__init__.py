"""The GMSA model: encoder + group merging + LSA + decoder."""

from gmsa_rag.model.decoding import SamplingParams
from gmsa_rag.model.gmsa import AUTOENCODER_PROMPT, ChunkVectors, GMSAModel, TrainBatch, describe_sizes
from gmsa_rag.model.merging import group_merge

__all__ = [
    "AUTOENCODER_PROMPT",
    "ChunkVectors",
    "GMSAModel",
    "SamplingParams",
    "TrainBatch",
    "describe_sizes",
    "group_merge",
]

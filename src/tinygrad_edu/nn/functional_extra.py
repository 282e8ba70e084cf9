"""nn.functional extras of issue 18 (normalize, cosine_similarity, distances, more
losses, one_hot as PyTorch's), re-exported by nn.functional."""
__all__: list[str] = []

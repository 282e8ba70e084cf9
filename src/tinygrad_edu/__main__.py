"""``python -m tinygrad_edu``: the main job, the same as ``python -m tinygrad_edu.train``."""
from .train import cli

cli()

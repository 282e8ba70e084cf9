"""``python -m tinygrad_edu``: the main job (see cli.py)."""
from .cli import main

raise SystemExit(main())

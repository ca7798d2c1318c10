"""``python -m h5linalg``: the same as the ``h5linalg`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())

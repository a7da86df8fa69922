"""tapgen's per-user cache folder, for work that is identical on every run.

Only derived, version-keyed artefacts live here (compiled templates, parse tables), never
anything a render's correctness depends on: a missing or unwritable folder makes tapgen
slower, not different.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


@functools.cache
def cache_dir(part: str) -> Path | None:
    """A writable ``part`` folder of the cache, or None.

    The cache is ``$TAPGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/tapgen``, else ``~/.cache/tapgen``.
    """
    configured = os.environ.get("TAPGEN_CACHE_DIR")
    if configured:
        path = Path(configured) / part
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "tapgen" / part
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path if os.access(path, os.W_OK) else None

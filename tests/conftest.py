from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import DEFAULT_SPEC


@pytest.fixture
def write_spec(tmp_path: Path):
    """Write spec text (default: the repository's spec) to a temporary file and return its path."""

    def write(text: str | None = None, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(DEFAULT_SPEC.read_text() if text is None else text, encoding="utf-8")
        return path

    return write


@pytest.fixture(autouse=True, scope="session")
def isolated_cache(tmp_path_factory):
    """Keep tapgen's cache folder (verdicts, parses, parse tables, templates) out of the user's home."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TAPGEN_CACHE_DIR", str(tmp_path_factory.mktemp("tapgen-cache")))
    yield
    patch.undo()

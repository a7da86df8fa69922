from __future__ import annotations

from pathlib import Path

import pytest

from generator import speed

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


def _cache_at(monkeypatch, folder: Path):
    monkeypatch.setenv("TAPGEN_CACHE_DIR", str(folder))
    speed.cache_dir.cache_clear()


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    """A cache folder of this test's own, empty (a parser already loaded in this process stays)."""
    _cache_at(monkeypatch, tmp_path / "cache")
    yield tmp_path / "cache"
    speed.cache_dir.cache_clear()


@pytest.fixture
def unwritable_cache(tmp_path, monkeypatch):
    """A cache folder that cannot be made: its path is under a file."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    _cache_at(monkeypatch, blocker / "cache")
    yield
    speed.cache_dir.cache_clear()

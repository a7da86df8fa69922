"""The wheel carries the templates: build it, install it into a fresh venv, render elsewhere."""

import os
import shutil
import subprocess
import sys
import venv
import zipfile

import pytest

from .helpers import DEFAULT_SPEC, ROOT

pytestmark = [pytest.mark.slow, pytest.mark.network]


def run(*args, **kwargs):
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kwargs)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


def test_wheel_installs_and_renders_from_an_unrelated_folder(tmp_path):
    # Build from a copy: setuptools leaves build/ and *.egg-info in the source tree.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__"))
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", dist, source)
    [wheel] = dist.glob("tapgen-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"generator/templates/tap_stack.tf.j2", "generator/templates/tap_stack/database.tf.j2",
            "generator/templates/starter.yaml", "generator/templates/bootstrap/main.tf.j2",
            "generator/aws_provider_schema.tsv"} <= set(names)
    assert not any(name.startswith(("tests/", "templates/")) for name in names)

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    run(env_dir / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel)
    work = tmp_path / "elsewhere"
    work.mkdir()
    shutil.copy(DEFAULT_SPEC, work / "environments.yaml")
    tapgen = env_dir / "bin" / "tapgen"
    assert "render" in run(tapgen, "--help", cwd=work).stdout
    cache = tmp_path / "cache"
    for _ in range(2):  # the second render finds its verdict in the cache the first one filled
        run(tapgen, "render", cwd=work, env={**os.environ, "TAPGEN_CACHE_DIR": str(cache)})
    assert len(list((cache / "verdicts").iterdir())) == 1
    rendered = {p.name: p.read_text() for p in (work / "out").iterdir()}
    committed = {p.name: p.read_text() for p in (ROOT / "out").iterdir() if p.is_file()}
    assert rendered == committed

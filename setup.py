"""Build hook: ship python-hcl2's parse tables inside the wheel.

Building them takes over a second; without this, the first render after a fresh install would pay that
once (and on every run where tapgen's cache folder is unwritable). The metadata is in
pyproject.toml.
"""

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithParseTables(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install keeps its tables in the cache folder
            return
        sys.path.insert(0, str(Path(__file__).parent))
        from generator.hcl_parser import TABLES, build_parser, save_tables

        save_tables(build_parser(), Path(self.build_lib) / "generator" / TABLES)


setup(cmdclass={"build_py": BuildWithParseTables})

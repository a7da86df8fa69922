import pytest

from generator import hcl_parser
from generator.hcl_parser import HclSyntaxError, parse, parse_files

from .helpers import OUT

STACK = {p.name: p.read_text() for p in OUT.glob("*.tf")}


@pytest.fixture
def always_fork(monkeypatch):
    monkeypatch.setattr(hcl_parser, "PARALLEL_MIN_CHARS", 0)
    monkeypatch.setattr(hcl_parser.os, "cpu_count", lambda: 2)  # fork even on a one-CPU runner


def test_parallel_parse_of_the_stack_equals_the_whole_file_parse(always_fork):
    assert parse_files(STACK) == {name: parse(text) for name, text in STACK.items()}


def test_small_inputs_are_parsed_here_without_a_second_process(monkeypatch):
    monkeypatch.setattr(hcl_parser.os, "fork", lambda: pytest.fail("forked for a tiny input"))
    assert parse_files({"a.tf": 'x = 1\n'}) == {"a.tf": {"x": 1}}


HEREDOC = 'locals {\n  doc = <<EOT\n}\nresource "fake" "block" {\n}\nEOT\n}\n\nresource "aws_vpc" "a" {\n}\n'


def test_a_cut_inside_a_heredoc_falls_back_to_the_whole_file(always_fork):
    # The "}" lines inside the heredoc look like top-level ends; the pieces fail, the file does not.
    assert parse_files({"h.tf": HEREDOC}) == {"h.tf": parse(HEREDOC)}
    assert "resource" in parse(HEREDOC) and "fake" not in str(parse(HEREDOC)["resource"])


def test_syntax_errors_carry_the_files_own_line_numbers(always_fork):
    broken = STACK["tap_stack.tf"] + '\nresource "aws_vpc" "x" {\n  cidr_block = \n}\n'
    result = parse_files({**STACK, "tap_stack.tf": broken})
    error = result["tap_stack.tf"]
    assert isinstance(error, HclSyntaxError)
    assert error.line == broken.count("\n") - 1
    assert result["variables.tf"] == parse(STACK["variables.tf"])


def test_a_dead_child_is_covered_by_the_parent(always_fork, monkeypatch):
    monkeypatch.setattr(hcl_parser.pickle, "loads", lambda data: (_ for _ in ()).throw(EOFError()))
    assert parse_files(STACK) == {name: parse(text) for name, text in STACK.items()}


@pytest.fixture
def tables(tmp_path, monkeypatch):
    """The path of the saved tables in an empty cache folder, with no wheel copy beside the code."""
    monkeypatch.setenv("TAPGEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(hcl_parser, "__file__", str(tmp_path / "site-packages" / "hcl_parser.py"))
    hcl_parser.cache_dir.cache_clear()
    hcl_parser.parser.cache_clear()
    yield tmp_path / "lark" / hcl_parser.TABLES
    hcl_parser.cache_dir.cache_clear()
    hcl_parser.parser.cache_clear()


def test_tables_are_built_once_then_loaded(tables, monkeypatch):
    assert parse("x = 1\n") == {"x": 1}
    assert tables.stat().st_size > 100_000
    hcl_parser.parser.cache_clear()
    monkeypatch.setattr(hcl_parser, "build_parser", lambda: pytest.fail("rebuilt despite saved tables"))
    assert parse("x = 2\n") == {"x": 2}


def test_damaged_tables_are_rebuilt(tables):
    tables.parent.mkdir(parents=True)
    tables.write_bytes(b"not tables")
    assert parse("x = 3\n") == {"x": 3}
    assert tables.stat().st_size > 100_000


def test_without_a_writable_cache_folder_tapgen_still_parses(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("TAPGEN_CACHE_DIR", str(blocker))  # a file: no folder can be made under it
    hcl_parser.cache_dir.cache_clear()
    hcl_parser.parser.cache_clear()
    try:
        assert hcl_parser.cache_dir("lark") is None
        assert parse("x = 4\n") == {"x": 4}
    finally:
        hcl_parser.cache_dir.cache_clear()
        hcl_parser.parser.cache_clear()

import re

import hcl2
import pytest

from generator import hcl_parser, speed
from generator.hcl_parser import HclSyntaxError, parse, parse_files

from .helpers import GOLDEN, OUT

STACK = {p.name: p.read_text() for p in OUT.glob("*.tf")}


@pytest.fixture
def counted(monkeypatch):
    """The texts given to the parser since the fixture started."""
    seen: list[str] = []
    real = hcl_parser.parse

    def counting(text):
        seen.append(text)
        return real(text)

    monkeypatch.setattr(hcl_parser, "parse", counting)
    return seen


def test_the_parse_equals_python_hcl2s_own():
    # tapgen's parser tracks no positions and is fed piece by piece; neither may change a value.
    for name, text in STACK.items():
        assert parse(text) == hcl2.loads(text, serialization_options=hcl_parser._OPTIONS), name


def test_the_join_of_the_pieces_parses_equals_the_whole_file_parse(empty_cache):
    wholes = {name: parse(text) for name, text in STACK.items()}
    assert parse_files(STACK) == wholes  # every piece parsed
    assert parse_files(STACK) == wholes  # every piece from the cache


def test_pieces_seen_before_are_not_parsed_again(empty_cache, counted):
    parse_files(STACK)
    first = len(counted)
    # A locals block's map (the environments, the audit filters) is parsed entry by entry.
    pieces = [piece for text in STACK.values() for piece in hcl_parser.top_level_pieces(text)]
    maps = [hcl_parser._MAP_ATTRIBUTE.search(piece) for piece in pieces if hcl_parser._LOCALS.search(piece)]
    entries = sum(len(hcl_parser.top_level_pieces(m.group(2), hcl_parser._ENTRY_END)) for m in maps if m)
    assert entries >= len(parse(STACK["tap_stack.tf"])["locals"][0]["environments"])
    assert first == len(pieces) + entries
    edited = STACK["tap_stack.tf"].replace('"10.10.0.0/16"', '"10.11.0.0/16"')
    assert parse_files({**STACK, "tap_stack.tf": edited})["tap_stack.tf"] == parse(edited)
    assert counted[first:] == [next(p for p in counted if "10.11.0.0/16" in p)]  # only dev's entry
    assert len(counted[first]) < len(edited) / 20


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir()))
def test_every_golden_record_parses_piece_by_piece_as_a_whole(empty_cache, case):
    for path in (GOLDEN / case).glob("*.tf"):
        text = path.read_text()
        assert parse_files({path.name: text})[path.name] == parse(text), path


def test_a_heredoc_that_looks_like_an_entry_end_falls_back_to_the_whole_file(empty_cache):
    # User data is a heredoc inside an environment's entry; a "    }" line in it looks like the
    # entry's end. The entries then fail to parse on their own, and the file parses whole.
    text = re.sub(r'(?m)^(      user_data +)= ""$', r'\1= <<EOT\n    }\n    x = {\nEOT', STACK["tap_stack.tf"], count=1)
    assert text != STACK["tap_stack.tf"]
    assert parse_files({"tap_stack.tf": text})["tap_stack.tf"] == parse(text)


HEREDOC = 'locals {\n  doc = <<EOT\n}\nresource "fake" "block" {\n}\nEOT\n}\n\nresource "aws_vpc" "a" {\n}\n'


def test_a_cut_inside_a_heredoc_falls_back_to_the_whole_file(empty_cache):
    # The "}" lines inside the heredoc look like top-level ends; the pieces fail, the file does not.
    assert parse_files({"h.tf": HEREDOC}) == {"h.tf": parse(HEREDOC)}
    assert "resource" in parse(HEREDOC) and "fake" not in str(parse(HEREDOC)["resource"])


def test_syntax_errors_carry_the_files_own_line_numbers(empty_cache):
    parse_files(STACK)  # the neighbours of the error are cached
    broken = STACK["tap_stack.tf"] + '\nresource "aws_vpc" "x" {\n  cidr_block = \n}\n'
    result = parse_files({**STACK, "tap_stack.tf": broken})
    error = result["tap_stack.tf"]
    assert isinstance(error, HclSyntaxError)
    assert error.line == broken.count("\n") - 1
    assert result["variables.tf"] == parse(STACK["variables.tf"])


def test_damaged_pieces_are_parsed_again(empty_cache, counted):
    parse_files(STACK)
    for entry in (empty_cache / "pieces").iterdir():
        entry.write_bytes(entry.read_bytes()[:-7])  # truncated
    counted.clear()
    assert parse_files(STACK) == {name: parse(text) for name, text in STACK.items()}
    assert len(counted) > 2 * len(STACK)


def test_without_a_writable_cache_folder_tapgen_still_parses(unwritable_cache):
    assert speed.cache_dir("pieces") is None
    assert parse_files(STACK) == {name: parse(text) for name, text in STACK.items()}


@pytest.fixture
def no_parser(empty_cache):
    """An empty cache folder and no parser loaded yet."""
    hcl_parser.parser.cache_clear()
    yield empty_cache / "lark" / f"tables-{speed.parser_fingerprint()}"
    hcl_parser.parser.cache_clear()


def test_tables_are_built_once_then_loaded(no_parser, monkeypatch):
    assert parse("x = 1\n") == {"x": 1}
    assert no_parser.stat().st_size > 100_000
    hcl_parser.parser.cache_clear()
    monkeypatch.setattr(hcl_parser, "build_parser", lambda: pytest.fail("rebuilt despite saved tables"))
    assert parse_files(STACK) == {name: hcl2.loads(text, serialization_options=hcl_parser._OPTIONS)
                                  for name, text in STACK.items()}


@pytest.mark.parametrize("damaged", ["truncated", "not tables"])
def test_damaged_tables_are_rebuilt(no_parser, damaged):
    assert parse("x = 2\n") == {"x": 2}
    if damaged == "truncated":  # the entry's checksum fails
        no_parser.write_bytes(no_parser.read_bytes()[:-100])
    else:  # a sound entry that Lark cannot load
        speed.store_tables(b"not tables")
    hcl_parser.parser.cache_clear()
    assert parse("x = 3\n") == {"x": 3}
    assert len(speed.load_tables()) > 100_000

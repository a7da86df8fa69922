import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.hcl import (
    hcl_attributes,
    hcl_comment,
    hcl_heredoc,
    hcl_key,
    hcl_literal,
    hcl_string,
    hcl_value,
)
from generator.hcl_parser import parse


def parsed_string(literal: str) -> str:
    """What python-hcl2 reads back from ``x = <literal>``, with its escaped template sequences
    undone: it keeps $${ and %%{ doubled (amplify-education/python-hcl2#336). Undoing them would
    hide a missing escape, so every test of this also checks ``opens_no_template``; the
    authority is Terraform itself (test_terraform.py evaluates encoded strings)."""
    value = parse(f"x = {literal}\n")["x"]
    return value.replace("$${", "${").replace("%%{", "%{")


def parsed_heredoc(literal: str) -> str:
    """What python-hcl2 reads back from ``x = <heredoc>``: it keeps the markers (``<<EOT`` ...
    ``EOT``) and, as for quoted strings, the doubled $${ and %%{; both are undone here."""
    value = parse(f"x = {literal}\n")["x"]
    opening, _, rest = value.partition("\n")
    assert opening.startswith("<<") and rest.endswith("\n" + opening[2:])
    return rest[: -len(opening[2:])].replace("$${", "${").replace("%%{", "%{")


def opens_no_template(literal: str) -> bool:
    """Whether every ${ and %{ in an HCL literal is escaped (written $${ or %%{)."""
    return re.search(r"(?<!\$)\$\{|(?<!%)%\{", literal) is None


@pytest.mark.parametrize(
    "text",
    ["plain", 'quote " inside', "back\\slash", "line\nbreak\ttab\r", "${var.secret}", "%{ if true }x%{ endif }",
     "$${already}", "unicode é ✓ 😀", "\x00\x1b control", "rtl \u202e override", ""],
)
def test_string_round_trips_through_python_hcl2(text):
    assert parsed_string(hcl_string(text)) == text
    assert opens_no_template(hcl_string(text))


def test_template_sequences_are_escaped_not_interpolated():
    assert hcl_string("${var.x}") == '"$${var.x}"'
    assert hcl_string("%{ for x in y }") == '"%%{ for x in y }"'
    assert hcl_string("$ {ok} and % {ok}") == '"$ {ok} and % {ok}"'


def test_invisible_and_bidi_characters_are_visible_escapes():
    assert hcl_string("a\u202eb\u200bc") == '"a\\u202eb\\u200bc"'


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, "true"), (False, "false"), (None, "null"), (7, "7"), (1.5, "1.5"), ("a", '"a"'),
     ([1, "b"], '[1, "b"]'), ({"a": 1, "b c": True}, '{ a = 1, "b c" = true }'), ({}, "{}"), ([], "[]")],
)
def test_values(value, expected):
    assert hcl_value(value) == expected


def test_non_finite_floats_and_unknown_types_are_refused():
    with pytest.raises(ValueError):
        hcl_value(float("nan"))
    with pytest.raises(TypeError):
        hcl_value(object())


def test_keys_are_bare_only_when_hcl_allows():
    assert hcl_key("db_multi_az") == "db_multi_az"
    assert hcl_key("eu-west") == "eu-west"
    assert hcl_key("9lives") == '"9lives"'
    assert hcl_key("a b") == '"a b"'


def test_attributes_align_like_terraform_fmt():
    assert hcl_attributes({"a": 1, "long_name": "x"}, 2) == '  a         = 1\n  long_name = "x"'


def test_attributes_write_text_that_ends_in_a_newline_as_a_heredoc():
    assert hcl_attributes({"a": 1, "script": "echo hi\n"}, 2) == '  a      = 1\n  script = <<EOT\necho hi\nEOT'


def test_a_heredoc_is_literal_but_for_template_sequences():
    text = 'echo "${HOME}" \\n %{ if } $${kept}\n\tindented\n'
    assert hcl_heredoc(text) == '<<EOT\necho "$${HOME}" \\n %%{ if } $$${kept}\n\tindented\nEOT'
    assert parsed_heredoc(hcl_heredoc(text)) == text


def test_the_closing_marker_is_a_word_the_text_does_not_contain():
    text = "EOT\nEOT1\n  EOT2 \n"
    assert hcl_heredoc(text).startswith("<<EOT3\n")
    assert parsed_heredoc(hcl_heredoc(text)) == text


@pytest.mark.parametrize("text", ["no final newline", "carriage\r\nreturns\n", "bell \x07\n", "rtl \u202e\n", ""])
def test_text_a_heredoc_cannot_show_as_it_is_becomes_a_quoted_string(text):
    assert hcl_heredoc(text) == hcl_string(text)


def test_literals_are_heredocs_only_for_text_ending_in_a_newline():
    assert hcl_literal("a\n") == "<<EOT\na\nEOT"
    assert [hcl_literal(v) for v in ("a", 1, None, [1])] == ['"a"', "1", "null", "[1]"]


@settings(derandomize=True, database=None, max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_any_text_round_trips(text):
    assert parsed_string(hcl_string(text)) == text
    assert opens_no_template(hcl_string(text))


@settings(derandomize=True, database=None, max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_any_text_round_trips_as_a_heredoc(text):
    literal = hcl_heredoc(text + "\n")
    read = parsed_heredoc(literal) if literal.startswith("<<") else parsed_string(literal)
    assert read == text + "\n"
    assert opens_no_template(literal)


@settings(derandomize=True, database=None, max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=("Cs",))))
def test_any_text_stays_inside_its_comment(text):
    document = parse(f"# {hcl_comment(text)}\nx = 1\n")
    assert document == {"x": 1}


def test_keywords_are_quoted_keys_because_terraform_reads_them_as_syntax():
    assert [hcl_key(k) for k in ("for", "in", "if", "true", "null", "endfor")] == [
        '"for"', '"in"', '"if"', '"true"', '"null"', '"endfor"']
    assert hcl_key("form") == "form"


def test_invisible_characters_are_escaped_in_strings_and_comments():
    text = "a\u3164b\u00adc\U000e0041d\ufe0fe\u2028f"
    assert hcl_string(text) == '"a\\u3164b\\u00adc\\U000e0041d\\ufe0fe\\u2028f"'
    assert parsed_string(hcl_string(text)) == text
    assert hcl_comment(text) == "a\\u3164b\\u00adc\\U000e0041d\\ufe0fe\\u2028f"

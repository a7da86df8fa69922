import pytest
import yaml

from generator.errors import SpecError
from generator.yaml_source import MAX_BYTES, load_yaml, parse_yaml


def problem_of(text: str):
    with pytest.raises(SpecError) as caught:
        parse_yaml(text, "spec.yaml")
    [problem] = caught.value.problems
    return problem


def test_values_remember_their_path_and_line():
    root = parse_yaml("a:\n  b:\n    - x\n    - y\n", "spec.yaml")
    b = root.value["a"].value["b"]
    assert (b.path, b.line) == ("a.b", 2)
    assert [(item.path, item.line, item.value) for item in b.value] == [("a.b[0]", 3, "x"), ("a.b[1]", 4, "y")]


def test_duplicate_keys_are_an_error_not_last_one_wins():
    problem = problem_of("a: 1\nb: 2\na: 3\n")
    assert (problem.path, problem.line, problem.message) == ("a", 3, "duplicate key")
    assert "line 1" in problem.hint


def test_merge_keys_work_and_explicit_keys_win():
    root = parse_yaml("base: &b {x: 1, y: 2}\nthing:\n  <<: *b\n  y: 3\n", "spec.yaml")
    thing = root.value["thing"].value
    assert {k: v.value for k, v in thing.items()} == {"x": 1, "y": 3}


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!custom x"])
def test_tags_that_construct_objects_are_refused(tag):
    problem = problem_of(f"a: {tag}\n")
    assert problem.path == "a"
    assert "unsupported YAML tag" in problem.message


def test_alias_bombs_are_stopped():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    problem = problem_of("\n".join(lines) + "\n")
    assert "expands to more than" in problem.message


def test_recursive_aliases_and_deep_nesting_are_stopped():
    assert "nested deeper" in problem_of("a: &a [*a]\n").message
    assert "nested deeper" in problem_of("a: " + "[" * 200 + "]" * 200 + "\n").message


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "is empty"), ("# only a comment\n", "is empty"), ("a: [1, 2\n", "invalid YAML"),
     ("a: 1\n---\nb: 2\n", "invalid YAML"), ("a: 'unterminated\n", "invalid YAML")],
)
def test_malformed_documents(text, message):
    assert message in problem_of(text).message


def test_malformed_yaml_names_the_line():
    assert problem_of("a: 1\nb: [1, 2\nc: 3\n").line in (2, 3, 4)


def test_file_problems(tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"a: 1\n\x00\x01\x02")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(b"a: 1\nb: caf\xe9\n")
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"# padding\n" * (MAX_BYTES // 10 + 1))
    cases = {binary: "binary", latin1: "not valid UTF-8", huge: "larger than", tmp_path: "is a directory",
             tmp_path / "missing.yaml": "no such file"}
    for path, message in cases.items():
        with pytest.raises(SpecError) as caught:
            load_yaml(path)
        assert message in caught.value.report()
    with pytest.raises(SpecError) as caught:
        load_yaml(latin1)
    assert caught.value.problems[0].line == 2


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes("\ufeffa: 1\n".encode())
    assert load_yaml(path)[1].value["a"].value == 1


def values(text: str) -> dict:
    return {key: located.value for key, located in parse_yaml(text, "spec.yaml").value.items()}


def test_scalars_are_read_as_yaml_1_2_and_plain():
    assert values("a: 10\nb: -3\nc: 1.5\nd: true\ne: FALSE\nf: ~\ng: yes\nh: off\ni: 2020-01-01\n") == {
        "a": 10, "b": -3, "c": 1.5, "d": True, "e": False, "f": None, "g": "yes", "h": "off", "i": "2020-01-01"}
    assert values("no: 1\non: 2\n'010': 3\n") == {"no": 1, "on": 2, "010": 3}  # keys are names


@pytest.mark.parametrize(
    ("text", "message"),
    [("010", "YAML 1.1 reads it as 8, YAML 1.2 as 10"), ("0x1e", "YAML reads it as 30"),
     ("1:30", "YAML 1.1 reads it as 90, YAML 1.2 as the text '1:30'"), ("1_000", "reads it as 1000"),
     ("+1", "YAML reads it as 1"), ("0o17", "YAML 1.2 as 15"), (".nan", "YAML reads it as nan")],
)
def test_numbers_some_yaml_reads_otherwise_are_errors(text, message):
    problem = problem_of(f"a: {text}\n")
    assert problem.path == "a" and message in problem.message and "plain decimal" in problem.message


@pytest.mark.parametrize("tagged", ["!!int abc", "!!bool maybe", '!!float ""', "!!int 0x10", "!!null x"])
def test_explicit_tags_with_bad_content_are_located_problems(tagged):
    problem = problem_of(f"a:\n  b: {tagged}\n")
    assert (problem.path, problem.line) == ("a.b", 2) and "is not a valid !!" in problem.message


def test_integers_beyond_18_digits_are_refused_without_converting_them():
    assert "5000 digits" in problem_of("a: " + "9" * 5000 + "\n").message
    assert "is not a plain decimal number" in problem_of("a: 0x" + "f" * 5000 + "\n").message
    assert values("a: !!str " + "9" * 5000 + "\n")["a"] == "9" * 5000


def test_a_second_merge_key_is_an_error_but_merging_a_list_is_not():
    problem = problem_of("x: &x {b: 1}\ny: &y {c: 2}\na:\n  <<: *x\n  <<: *y\n")
    assert (problem.line, problem.path) == (5, "a") and "second '<<'" in problem.message
    merged = parse_yaml("x: &x {b: 1}\ny: &y {b: 3, c: 2}\na:\n  <<: [*x, *y]\n  c: 4\n", "spec.yaml")
    assert {k: v.value for k, v in merged.value["a"].value.items()} == {"b": 1, "c": 4}


@pytest.mark.parametrize(("char", "name"), [("\u2028", "LINE SEPARATOR"), ("\u2029", "PARAGRAPH SEPARATOR"),
                                            ("\u0085", "NEXT LINE"), ("\r", "CARRIAGE RETURN")])
def test_line_breaks_editors_do_not_see_are_refused_at_their_line_and_column(char, name):
    problem = problem_of(f"a: 1\n# note{char}b: 2\n")
    assert problem.line == 2 and problem.message.startswith(f"column 7: U+{ord(char):04X} ({name})")
    assert values("a: 1\r\nb: 2\r\n") == {"a": 1, "b": 2}


def test_the_global_safe_loader_is_left_as_it_was():
    assert yaml.safe_load("a: yes\nb: 010\n") == {"a": True, "b": 8}

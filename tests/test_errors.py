"""Problems print as one line each, whatever text they carry."""

from generator.errors import Problem, SpecError


def test_every_problem_is_one_line_whatever_its_text():
    problem = Problem("env.a\nb", "bad\rvalue\u2028x", 3, "hint\nspec.yaml:1: forged", file="f\n.yaml")
    assert problem.format("source") == "f\\n.yaml:3: env.a\\nb: bad\\rvalue\\u2028x (hint\\nspec.yaml:1: forged)"
    report = SpecError("spec\u0085.yaml", [Problem("", "x\ny")]).report()
    assert report.splitlines() == ["spec\\u0085.yaml: x\\ny", "invalid spec: 1 problem"]

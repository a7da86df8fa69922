"""Settings views and the generated out/README.md."""

import re

from generator.loader import load_spec
from generator.pipeline import render_spec
from generator.views import flatten, markdown_table, markdown_text, text_table

from .helpers import DEFAULT_SPEC, OUT, run_cli


def test_flatten_gives_dotted_effective_settings():
    _, spec = load_spec(DEFAULT_SPEC)
    flat = flatten(spec.environments["dev"])
    assert flat["database.backup_retention_days"] == "1"
    assert flat["availability_zones"] == "2" and flat["production"] == "false"


def test_tables_align_and_escape():
    assert text_table(["a", "bb"], [["ccc", "d"]]) == "a    bb\nccc  d\n"
    assert markdown_table(["k", "v"], [["x|y", "<b>"]]) == "| k | v |\n| --- | --- |\n| x\\|y | \\<b\\> |\n"
    assert markdown_text("[click](http://x) *bold* `code`\nnext") == "\\[click\\](http://x) \\*bold\\* \\`code\\` next"


def test_readme_shows_the_same_settings_as_tapgen_show():
    readme = (OUT / "README.md").read_text()
    # Columns are two or more spaces apart; a value (a cron expression) may hold single spaces.
    shown = [re.split(r" {2,}", line.strip()) for line in run_cli("show", "--spec", DEFAULT_SPEC).stdout.splitlines()]
    for row in shown:
        assert "| " + " | ".join(markdown_text(cell) for cell in row) + " |" in readme
    assert "| database.backup_retention_days | 1 | 3 | 7 |" in readme


def test_readme_has_the_architecture_and_what_each_key_encrypts():
    readme = (OUT / "README.md").read_text()
    assert "```mermaid\nflowchart LR" in readme
    assert 'kms_data{{"KMS key: data<br/>used via RDS, EC2, Secrets Manager"}} -.->|encrypts| rds' in readme
    assert 'kms_dblogs{{"KMS key: database-logs"}} -.->|encrypts| dblogs' in readme
    assert 'kms_logs{{"KMS key: logs"}} -.->|encrypts| cw' in readme
    assert "make plan WORKSPACE=dev" in readme


def test_readme_lists_waivers_and_escapes_spec_text(write_spec):
    text = DEFAULT_SPEC.read_text().replace("      multi_az: true", "      multi_az: false").replace(
        "kms_deletion_window_days: 30", "kms_deletion_window_days: 30\n    waivers:\n"
        "      multi_az: \"<script>budget</script> until Q3 | see [ticket](http://x)\"")
    source, spec = load_spec(write_spec(text))
    readme = render_spec(spec, source)["README.md"]
    assert "- **prod**: Waived production rule multi_az (database.multi_az: true): " in readme
    assert "\\<script\\>budget\\</script\\> until Q3 \\| see \\[ticket\\](http://x)" in readme
    assert "<script>" not in readme


def test_markdown_text_shows_invisible_characters_and_stays_on_one_line():
    assert markdown_text("a\u3164b\u202ec\nd") == "a\\\\u3164b\\\\u202ec d"

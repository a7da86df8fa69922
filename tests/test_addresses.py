"""Every resource address tapgen ever generated is still generated, moved, removed or (holding no
data) destroyed on purpose: an upgrade can never turn a rename into a destroy."""

from __future__ import annotations

import re
import sys

import pytest

from generator import __version__, addresses
from generator.addresses import Dropped, Moved
from generator.hcl import ADDRESS
from generator.stack import Stack
from generator.stateful import is_stateful

from .helpers import ROOT, STANDARD_SPEC, run_cli, snapshot

sys.path.insert(0, str(ROOT / "tools"))
import addresses as address_list  # noqa: E402

CURRENT = address_list.current_addresses()
RECORDED = address_list.recorded_addresses()
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()


def test_the_list_holds_every_address_the_templates_generate():
    missing = sorted(CURRENT - set(RECORDED))
    assert not missing, f"tests/data/addresses.txt lacks {missing}: run `make addresses`"
    assert RECORDED == sorted(set(RECORDED)), "keep tests/data/addresses.txt sorted, one address a line"


def test_every_address_ever_generated_is_still_generated_or_accounted_for():
    accounted = ({entry.from_address for entry in addresses.MOVED} | {entry.address for entry in addresses.REMOVED}
                 | {entry.address for entry in addresses.DESTROYED})
    lost = [address for address in RECORDED if address not in CURRENT and address not in accounted]
    assert not lost, (f"{lost} are no longer generated: add an entry to MOVED, REMOVED or (for resources "
                      "that hold no data) DESTROYED in generator/addresses.py, and say so in CHANGELOG.md")


def test_the_history_says_where_each_address_went_and_when():
    for entry in addresses.MOVED:
        assert ADDRESS.fullmatch(entry.from_address) and ADDRESS.fullmatch(entry.to)
        assert entry.from_address not in CURRENT and entry.to in CURRENT, entry
    for entry in addresses.REMOVED:
        assert ADDRESS.fullmatch(entry.address) and entry.address not in CURRENT, entry
    for entry in addresses.DESTROYED:
        assert entry.address not in CURRENT, entry
        assert not is_stateful(entry.address.split(".")[0]), f"{entry.address} holds data: put it in REMOVED"
    for entry in (*addresses.MOVED, *addresses.REMOVED, *addresses.DESTROYED):
        assert f"## {entry.version}\n" in CHANGELOG and entry.version <= __version__, entry


def earlier_render(out, old: str, new: str) -> None:
    """Make out/ look as if an earlier tapgen had generated it, with ``old`` written ``new``."""
    path = out / "tap_stack.tf"
    path.write_text(path.read_text().replace(old, new))


@pytest.fixture
def rendered(tmp_path):
    out = tmp_path / "out"
    assert run_cli("render", "--spec", STANDARD_SPEC, "--out", out).exit_code == 0
    return out


def test_a_rename_without_a_moved_block_is_a_destroy_and_refused(rendered):
    earlier_render(rendered, 'resource "aws_s3_bucket" "alb_logs" {', 'resource "aws_s3_bucket" "access_logs" {')
    before = snapshot(rendered)
    result = run_cli("render", "--spec", STANDARD_SPEC, "--out", rendered)
    assert result.exit_code == 1 and snapshot(rendered) == before
    assert "DESTROYED, DATA LOST: aws_s3_bucket.access_logs (tapgen no longer generates it" in result.stderr


def test_a_moved_entry_renders_a_moved_block_and_the_rename_is_no_loss(rendered, monkeypatch):
    monkeypatch.setattr(addresses, "MOVED", (Moved("aws_s3_bucket.access_logs", "aws_s3_bucket.alb_logs",
                                                   __version__, "the bucket is named after what it holds"),))
    earlier_render(rendered, 'resource "aws_s3_bucket" "alb_logs" {', 'resource "aws_s3_bucket" "access_logs" {')
    result = run_cli("render", "--spec", STANDARD_SPEC, "--out", rendered)
    assert result.exit_code == 0, result.stderr
    assert "access_logs" not in result.stderr
    text = (rendered / "tap_stack.tf").read_text()
    assert (f"# tapgen {__version__}: the bucket is named after what it holds\nmoved {{\n"
            "  from = aws_s3_bucket.access_logs\n  to   = aws_s3_bucket.alb_logs\n}\n") in text
    [moved] = Stack({"tap_stack.tf": text}).documents["tap_stack.tf"]["moved"]
    assert moved["from"] == "${aws_s3_bucket.access_logs}"


def test_a_removed_entry_keeps_the_object_in_aws(rendered, monkeypatch):
    monkeypatch.setattr(addresses, "REMOVED", (Dropped("aws_s3_bucket.legacy_audit", __version__,
                                                       "audit logs now go to the organisation's bucket"),))
    earlier_render(rendered, 'resource "aws_s3_bucket" "alb_logs" {',
                   'resource "aws_s3_bucket" "legacy_audit" {\n  bucket = "audit"\n}\n\n'
                   'resource "aws_s3_bucket" "alb_logs" {')
    result = run_cli("render", "--spec", STANDARD_SPEC, "--out", rendered)
    assert result.exit_code == 0, result.stderr
    assert "removed {\n  from = aws_s3_bucket.legacy_audit\n\n  lifecycle {\n    destroy = false\n  }\n}\n" in (
        rendered / "tap_stack.tf").read_text()


def test_a_destroyed_entry_must_hold_no_data(monkeypatch):
    monkeypatch.setattr(addresses, "DESTROYED", (Dropped("aws_db_instance.legacy", __version__, "gone"),))
    with pytest.raises(AssertionError, match="holds data: put it in REMOVED"):
        test_the_history_says_where_each_address_went_and_when()


def test_the_tool_prints_the_current_addresses(capsys):
    assert address_list.main(["--print"]) == 0
    assert set(capsys.readouterr().out.split()) == CURRENT
    assert all(re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", address) for address in CURRENT)

"""The Jinja environment: strict about missing values, and every template ships."""

import pytest

from generator import render
from generator.errors import TemplateError

from .helpers import ROOT


def test_a_missing_value_fails_the_render_naming_the_template():
    with pytest.raises(TemplateError) as caught:
        render.render_all({})
    assert caught.value.source == "templates/provider.tf.j2"
    assert "is undefined" in caught.value.report()


def test_templates_come_from_the_checkout_or_the_package():
    assert render.template_dir() == ROOT / "templates"
    assert {f"{name}.j2" for name in render.OUTPUT_FILES} <= {p.name for p in render.template_dir().iterdir()}

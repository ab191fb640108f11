"""The shared form rendering of every page (issue 24): a field's help carries the id its
control's aria-describedby names, and a page with a form in error gets the error summary
and "Error:" in its title from templates/base.html, without anything per page."""

import re
from pathlib import Path

from django import forms
from django.template import Context, Template
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from core.templatetags.form_errors import page_errors


class CourseForm(forms.Form):
    title = forms.CharField(label="Activity title", help_text="E.g. the course.")
    kind = forms.ChoiceField(
        label="Kind", choices=(("a", "A"), ("b", "B")), widget=forms.RadioSelect
    )
    notify = forms.BooleanField(label="Email them", required=False, help_text="One credit.")


PAGE = Template('{% extends "base.html" %}{% block title %}Context{% endblock %}')


def render_page(form) -> str:
    request = RequestFactory().get("/")
    return PAGE.render(Context({"form": form, "request": request}))


def test_every_template_that_prints_a_help_text_gives_it_the_id_aria_describedby_names():
    # Given every template of the project (Django's widgets point aria-describedby at
    # `<id>_helptext` whenever a field has help)
    repo = Path(__file__).resolve().parents[2]
    skip = {".venv", "node_modules", ".git", "media", "var", "staticfiles"}
    lines = [
        (path.relative_to(repo), line)
        for path in repo.rglob("*.html")
        if not skip & set(path.parts)
        for line in path.read_text().splitlines()
        if re.search(r"help_text(\|\w+)?\s*}}", line)
    ]
    # Then each help it prints carries that id
    assert lines
    missing = [(str(path), line.strip()) for path, line in lines if "_helptext" not in line]
    assert not missing


def test_a_fields_errors_sit_in_its_own_box_with_the_id_aria_describedby_names():
    form = CourseForm(data={})
    html = str(form["title"].as_field_group())
    assert html.count('<div class="field has-error">') == 1
    assert 'aria-describedby="id_title_helptext id_title_error"' in html
    assert 'id="id_title_error"' in html
    assert html.strip().endswith("</div>")


def test_a_page_with_errors_has_the_summary_and_error_in_its_title():
    # Given a submitted form with two problems
    form = CourseForm(data={"title": ""})
    # When the page renders
    html = render_page(form)
    # Then its title says so first, and the summary lists each with its label and link
    assert re.search(r"<title>Error: Context</title>", html)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)[0]
    assert 'role="alert"' in summary
    assert 'tabindex="-1"' in summary
    assert "There are 2 problems" in summary
    assert '<a href="#id_title">Activity title: This field is required.</a>' in summary
    # a group of radios: the link goes to the first of them
    assert '<a href="#id_kind_0">Kind: This field is required.</a>' in summary
    assert html.index("error-summary") < html.index('id="main"') + 200  # first in <main>


def test_a_page_without_errors_has_neither():
    for form in (CourseForm(), CourseForm(data={"title": "Course", "kind": "a"})):
        html = render_page(form)
        assert "<title>Context</title>" in html
        assert "error-summary" not in html


def test_errors_that_are_not_a_fields_are_listed_from_page_errors():
    context = Context({"page_errors": [{"message": "Choose a badge template.", "target": "t0"}]})
    assert page_errors(context) == [
        {"label": "", "message": "Choose a badge template.", "target": "t0"}
    ]


def test_looking_for_forms_leaves_lazy_values_unevaluated():
    # (the lazy user read would touch the session: Vary: Cookie on cached public pages)
    evaluated = []
    lazy = SimpleLazyObject(lambda: evaluated.append(1) or object())
    assert page_errors(Context({"user": lazy})) == []
    assert evaluated == []

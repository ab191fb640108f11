"""Shared by the admin tests: a world of two issuers, URLs, and form bodies."""

from dataclasses import dataclass

from django import forms
from django.urls import reverse

from assertions.models import Assertion, AssignmentBatch
from assertions.tests.factories import AssertionFactory
from credentials.services import issuer_key_create
from issuers.models import Issuer, Role
from issuers.services import credit_request_create, credits_top_up
from issuers.tests.factories import InvitationFactory, IssuerFactory, MembershipFactory
from templates_app.models import BadgeTemplate
from templates_app.tests.factories import BadgeTemplateFactory


@dataclass
class IssuerWorld:
    """One issuer with one of everything the admin shows."""

    issuer: Issuer
    template: BadgeTemplate
    assertion: Assertion  # issued with an email, so it has an outbox row
    batch: AssignmentBatch


def issuer_world(**issuer_fields) -> IssuerWorld:
    issuer = IssuerFactory(**issuer_fields)
    issuer_key_create(issuer=issuer)  # as issuer_create makes it
    credits_top_up(issuer=issuer, amount=10, note="Test credits")
    template = BadgeTemplateFactory(issuer=issuer)
    assertion = AssertionFactory(template=template, notify=True)
    # No service makes batches yet (bulk assignment comes later); the admin only shows them.
    batch = AssignmentBatch.objects.create(
        issuer=issuer, badge_template_version=template.current_version
    )
    InvitationFactory(issuer=issuer)
    credit_request_create(issuer=issuer, actor=None, amount=5, note="Test request")
    return IssuerWorld(issuer, template, assertion, batch)


def member(issuer, role=Role.STAFF):
    """A staff user with `role` in `issuer` and no Django permissions at all."""
    return MembershipFactory(issuer=issuer, role=role).user


def admin_url(model, view, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def form_data(response, **changes) -> dict:
    """The body a browser would post for the admin form on `response`, with `changes`."""
    context = response.context
    all_forms = [context["adminform"].form]
    for inline in context["inline_admin_formsets"]:
        all_forms.append(inline.formset.management_form)
        all_forms.extend(inline.formset.forms)
    data = {}
    for form in all_forms:
        for field in form:
            data.update(_posted(field))
    data.update(changes)
    return data


def _posted(bound_field) -> dict:
    widget = bound_field.field.widget
    name = bound_field.html_name
    value = bound_field.value()
    if isinstance(widget, forms.FileInput):
        return {}
    if isinstance(widget, forms.CheckboxInput):
        return {name: "on"} if widget.check_test(value) else {}
    if isinstance(widget, forms.MultiWidget):
        parts = value if isinstance(value, list) else widget.decompress(value)
        return {
            f"{name}{suffix}": sub.format_value(part) or ""
            for suffix, sub, part in zip(widget.widgets_names, widget.widgets, parts, strict=True)
        }
    return {name: "" if value is None else value}

"""One error shape for every API, and Badgr's envelope on top of it for /v2."""

import io
import json

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import Client
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes, renderer_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from assertions.models import Assertion
from core.api.parsers import JSONParser
from core.api.renderers import BadgrEnvelopeRenderer
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory
from tests.api_v2.conftest import make_token

factory = APIRequestFactory()


class RecipientSerializer(serializers.Serializer):
    identity = serializers.EmailField()


class AwardSerializer(serializers.Serializer):
    recipient = RecipientSerializer()
    narrative = serializers.CharField(max_length=5)

    def validate(self, attrs):
        if attrs["narrative"] == "clash":
            raise serializers.ValidationError("The award clashes with itself.")
        return attrs


def make_view(raise_what, renderer=JSONRenderer, permission=AllowAny):
    @api_view(["GET", "POST"])
    @permission_classes([permission])
    @renderer_classes([renderer])
    def view(request):
        if raise_what == "serializer":
            AwardSerializer(data=request.data).is_valid(raise_exception=True)
            return Response({"ok": True})
        if raise_what is None:
            return Response({"entityId": "abc"})
        if raise_what == "list":
            return Response([{"entityId": "a"}, {"entityId": "b"}])
        raise raise_what

    return view


def call(view, method="get", data=None):
    request = getattr(factory, method)("/x", data=data, format="json")
    response = view(request)
    response.render()
    return response.status_code, json.loads(response.content or b"null")


def test_serializer_errors_keep_their_nesting_and_split_non_field_errors():
    status, body = call(
        make_view("serializer"),
        "post",
        {"recipient": {"identity": "nope"}, "narrative": "far too long"},
    )
    assert status == 400
    assert body == {
        "detail": "Invalid input.",
        "code": "invalid",
        "field_errors": {
            "recipient": {"identity": ["Enter a valid email address."]},
            "narrative": ["Ensure this field has no more than 5 characters."],
        },
        "errors": [],
    }
    status, body = call(
        make_view("serializer"),
        "post",
        {"recipient": {"identity": "a@b.org"}, "narrative": "clash"},
    )
    assert status == 400
    assert body["field_errors"] == {}
    assert body["errors"] == ["The award clashes with itself."]


@pytest.mark.parametrize(
    ("exc", "status", "code", "detail"),
    [
        (
            ApplicationError("Not enough credits.", code="insufficient_credits"),
            400,
            "insufficient_credits",
            "Not enough credits.",
        ),
        (NotFoundError("No such badge."), 404, "not_found", "No such badge."),
        (ConflictError("Already awarded."), 409, "conflict", "Already awarded."),
        (Http404("hidden"), 404, "not_found", "Not found."),
    ],
)
def test_application_and_django_errors_get_the_same_shape(exc, status, code, detail):
    got_status, body = call(make_view(exc))
    assert got_status == status
    assert body == {"detail": detail, "code": code, "field_errors": {}, "errors": []}


def test_application_error_carries_field_errors():
    exc = ApplicationError("Bad recipient.", field_errors={"recipient": ["Unknown type 'fax'."]})
    _, body = call(make_view(exc))
    assert body["field_errors"] == {"recipient": ["Unknown type 'fax'."]}


def test_django_validation_error_maps_to_fields():
    exc = DjangoValidationError({"email": ["Taken."], "__all__": ["Whole thing wrong."]})
    status, body = call(make_view(exc))
    assert status == 400
    assert body["field_errors"] == {"email": ["Taken."]}
    assert body["errors"] == ["Whole thing wrong."]


def test_missing_authentication_is_401_with_a_json_body():
    status, body = call(make_view(None, permission=IsAuthenticated))
    assert status == 401
    assert body["code"] == "not_authenticated"


def test_unexpected_exceptions_are_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        call(make_view(ZeroDivisionError()))


def test_badgr_envelope_wraps_a_detail_in_a_one_item_list():
    status, body = call(make_view(None, renderer=BadgrEnvelopeRenderer))
    assert status == 200
    assert body == {
        "status": {"success": True, "description": "ok"},
        "result": [{"entityId": "abc"}],
    }


def test_badgr_envelope_keeps_a_list():
    _, body = call(make_view("list", renderer=BadgrEnvelopeRenderer))
    assert body["result"] == [{"entityId": "a"}, {"entityId": "b"}]


def test_badgr_envelope_for_errors_has_field_and_validation_errors():
    status, body = call(
        make_view("serializer", renderer=BadgrEnvelopeRenderer), "post", {"narrative": "clash"}
    )
    assert status == 400
    assert body == {
        "status": {"success": False, "description": "Invalid input."},
        "result": [],
        "fieldErrors": {"recipient": ["This field is required."]},
        "validationErrors": [],
    }
    status, body = call(make_view(NotFoundError("No such badge."), renderer=BadgrEnvelopeRenderer))
    assert status == 404
    assert body["status"] == {"success": False, "description": "No such badge."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/v2/issuers", "/v2/badgeclasses", "/api/v1/earners", "/api/v1/organizations"]
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_json_nested_too_deep_is_a_400_in_the_apis_shape_not_a_500(
    client, settings, path, signed_in
):
    # json.loads raises RecursionError, which DRF's parser let through: a 500 everywhere,
    # before authentication (the OAuth2 backend reads the body of a request without a
    # bearer header). Anyone may create an issuer here, so that the views read the body
    # (where issuer creation is closed, its refusal comes first, before the body is read).
    settings.ISSUER_CREATION = "open"
    headers = {}
    if signed_in:
        token = make_token(MembershipFactory(role=Role.OWNER).user)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    response = client.post(path, "[" * 100_000, content_type="application/json", **headers)

    assert response.status_code == 400
    body = response.json()
    detail = body["status"]["description"] if path.startswith("/v2") else body["detail"]
    assert detail == "JSON parse error - nested too deeply."


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["1e400", "-1E309", "1.5e999"])
def test_a_float_beyond_what_json_can_hold_is_a_400_naming_it(number):
    # Given an issuer's owner awarding a badge with a number in its extensions that
    # Python reads as infinity (it was stored as null): every API reads its body with
    # the same parser
    membership = MembershipFactory(role=Role.OWNER)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    body = (
        '{"recipient": {"identity": "ada@learners.example"}, '
        f'"extensions": {{"extensions:Grade": {{"points": {number}}}}}}}'
    )
    # When it is sent
    response = Client().post(
        f"/v2/badgeclasses/{template.entity_id}/assertions",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {make_token(membership.user)}",
    )
    # Then it is refused, naming the number, and nothing is awarded
    assert response.status_code == 400
    assert response.json()["status"]["description"] == (
        f"JSON parse error - the number {number} is too large; send it as text."
    )
    assert not Assertion.objects.filter(badge_template=template).exists()


@pytest.mark.django_db
def test_an_integer_of_any_size_is_kept_and_sent_back_as_it_was_given():
    # Given an award whose extensions hold integers beyond 64 bits (orjson, which writes
    # what is stored and answered, cannot write them: the award was a 500)
    membership = MembershipFactory(role=Role.OWNER)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    big = 123456789012345678901234567890
    body = (
        '{"recipient": {"identity": "ada@learners.example"}, '
        f'"extensions": {{"extensions:Ids": {{"ids": [{big}, {-(2**63) - 1}, 1]}}}}}}'
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {make_token(membership.user)}")
    # When it is awarded, then read back alone and in its template's list
    awarded = client.post(
        f"/v2/badgeclasses/{template.entity_id}/assertions", body, content_type="application/json"
    )
    assert awarded.status_code == 201, awarded.content
    entity_id = awarded.json()["result"][0]["entityId"]
    one = client.get(f"/v2/assertions/{entity_id}")
    listed = client.get(f"/v2/badgeclasses/{template.entity_id}/assertions")
    # Then every answer carries the numbers as they were sent
    expected = {"extensions:Ids": {"ids": [big, -(2**63) - 1, 1]}}
    for response in (awarded, one, listed):
        assert response.status_code in (200, 201)
        assert json.loads(response.content)["result"][0]["extensions"] == expected


@pytest.mark.parametrize("number", ["9223372036854775807", "18446744073709551616", "1.7e308"])
def test_numbers_json_can_hold_are_read_as_they_are(number):
    parsed = JSONParser().parse(io.BytesIO(f'{{"n": {number}}}'.encode()))
    assert parsed == {"n": json.loads(number)}

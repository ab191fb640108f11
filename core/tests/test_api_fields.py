import datetime as dt
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from core.api.fields import IsoZDateTimeField, V1DateTimeField

MOMENT = dt.datetime(2024, 7, 1, 8, 30, tzinfo=dt.UTC)


class V1Serializer(serializers.Serializer):
    created_at = V1DateTimeField(zone="utc")
    expires_at = V1DateTimeField(zone="issuer", allow_null=True)


class V2Serializer(serializers.Serializer):
    issuedOn = IsoZDateTimeField(source="emitted_at")  # noqa: N815


def badge(**kw):
    org = SimpleNamespace(timezone="Europe/Rome")
    return SimpleNamespace(organization=org, created_at=MOMENT, expires_at=MOMENT, **kw)


def test_v1_output_in_utc_and_in_the_issuers_zone():
    data = V1Serializer(badge()).data
    assert data == {"created_at": "2024-07-01 08:30:00", "expires_at": "2024-07-01 10:30:00"}


def test_v1_null_stays_null():
    obj = badge()
    obj.expires_at = None
    assert V1Serializer(obj).data["expires_at"] is None


def test_v1_input_without_offset_is_read_in_the_issuers_zone():
    s = V1Serializer(
        data={"created_at": "2024-07-01 08:30:00", "expires_at": "2024-07-01 10:30:00"},
        context={"issuer_timezone": "Europe/Rome"},
    )
    assert s.is_valid(), s.errors
    assert s.validated_data["expires_at"] == MOMENT
    assert s.validated_data["created_at"] == MOMENT


def test_v1_bad_input_names_the_field():
    s = V1Serializer(data={"created_at": "tomorrow", "expires_at": None})
    assert not s.is_valid()
    assert "not a date-time" in s.errors["created_at"][0]


def test_v2_z_format_both_ways():
    assert V2Serializer(SimpleNamespace(emitted_at=MOMENT)).data == {
        "issuedOn": "2024-07-01T08:30:00Z"
    }
    s = V2Serializer(data={"issuedOn": "2024-07-01 10:30:00+02:00"})
    assert s.is_valid(), s.errors
    assert s.validated_data["emitted_at"] == MOMENT


@pytest.mark.parametrize("bad", ["", "31/12/2024", 12])
def test_v2_bad_input(bad):
    s = V2Serializer(data={"issuedOn": bad})
    assert not s.is_valid()
    assert "issuedOn" in s.errors

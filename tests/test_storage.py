"""Badge images are stored and served the same way on disk and on S3-compatible storage;
the private files (queued rows, import documents, wizard drafts) go to a private bucket
or prefix there."""

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from assertions.services import batch_create, batch_run, rows_file_name
from assertions.tasks import run_assignment_batch
from core.testing import png_bytes
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import IssuerFactory, MembershipFactory
from templates_app.services import template_create
from templates_app.tests.factories import BadgeTemplateFactory
from tests.test_project import _production_settings

pytestmark = pytest.mark.django_db(transaction=True)


def _store_and_fetch(absolute):
    image = png_bytes(color="#123456")
    template = template_create(
        issuer=IssuerFactory(),
        name="Stored",
        criteria_url="https://x.example",
        image=_upload(image),
    )
    version = template.current_version
    response = requests.get(absolute(version.image.url), timeout=10)
    return image, response


def _upload(data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("stored.png", data, content_type="image/png")


def test_filesystem_storage_serves_uploaded_images(live_server):
    image, response = _store_and_fetch(lambda url: live_server.url + url)
    assert response.status_code == 200
    assert response.content == image


@pytest.fixture
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_s3_storage_stores_and_serves_uploaded_images(s3_server, settings):
    boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ).create_bucket(Bucket="badges")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "badges",
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "querystring_auth": False,
                "default_acl": "public-read",
                "file_overwrite": False,
            },
        },
    }
    image, response = _store_and_fetch(lambda url: url)
    assert response.status_code == 200
    assert response.content == image
    keys = [
        o["Key"]
        for o in boto3.client(
            "s3",
            endpoint_url=s3_server,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ).list_objects_v2(Bucket="badges")["Contents"]
    ]
    assert any(k.startswith("badge-versions/") for k in keys)
    assert any(k.startswith("badge-templates/") for k in keys)


def production_private_storage(**env) -> dict:
    """STORAGES["private"] as the production settings build it from `env`."""
    return _production_settings(env)["private"]


def test_production_keeps_private_files_on_disk_apart_without_a_bucket():
    private = production_private_storage()
    assert private == {"BACKEND": "core.storage.PrivateFileSystemStorage"}


@pytest.mark.parametrize(
    ("env", "bucket", "prefix"),
    [
        ({"AWS_STORAGE_BUCKET_NAME": "badges"}, "badges", "private"),
        (
            {
                "AWS_STORAGE_BUCKET_NAME": "badges",
                "AWS_PRIVATE_STORAGE_BUCKET_NAME": "badges-private",
                "AWS_PRIVATE_LOCATION": "",
            },
            "badges-private",
            "",
        ),
        ({"AWS_PRIVATE_STORAGE_BUCKET_NAME": "badges-private"}, "badges-private", "private"),
    ],
)
def test_production_keeps_private_files_in_a_bucket_or_prefix_of_their_own(env, bucket, prefix):
    private = production_private_storage(**env)
    assert private["BACKEND"] == "storages.backends.s3.S3Storage"
    options = private["OPTIONS"]
    assert (options["bucket_name"], options["location"]) == (bucket, prefix)
    # every object private, never behind the images' CDN, a signed URL if one is asked for
    assert options["default_acl"] == "private"
    assert options["custom_domain"] is None
    assert options["querystring_auth"] is True


def test_s3_private_storage_keeps_queued_rows_as_private_objects(s3_server, settings, monkeypatch):
    # given the production settings of one bucket for images and private files
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    s3.create_bucket(Bucket="badges-rows")  # moto keeps buckets between tests
    private = production_private_storage(AWS_STORAGE_BUCKET_NAME="badges-rows")
    connection = {
        "endpoint_url": s3_server,
        "region_name": "us-east-1",
        "access_key": "test",
        "secret_key": "test",
    }
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**private, "OPTIONS": {**private["OPTIONS"], **connection}},
    }
    membership = MembershipFactory(role=Role.OWNER)
    credits_top_up(issuer=membership.issuer, amount=200)
    template = BadgeTemplateFactory(issuer=membership.issuer)
    rows = [{"email": f"e{i}@example.org", "first_name": "E", "last_name": "F"} for i in range(150)]
    # when an assignment is queued (and no worker has run it yet)
    monkeypatch.setattr(run_assignment_batch, "delay", lambda batch_id: None)
    batch = batch_create(template=template, rows=rows, actor=membership.user)
    # then its rows are a private object under the private prefix, readable by no one else
    key = f"private/{rows_file_name(batch)}"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="badges-rows")["Contents"]] == [key]
    grants = s3.get_object_acl(Bucket="badges-rows", Key=key)["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]
    assert all(g["Grantee"]["Type"] == "CanonicalUser" for g in grants)
    assert "no-store" in s3.head_object(Bucket="badges-rows", Key=key)["CacheControl"]
    # and once the batch has run, they are deleted
    batch_run(batch_id=batch.pk)
    assert "Contents" not in s3.list_objects_v2(Bucket="badges-rows")

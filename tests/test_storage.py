"""Badge images are stored and served the same way on disk and on S3-compatible storage."""

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from core.testing import png_bytes
from issuers.tests.factories import IssuerFactory
from templates_app.services import template_create

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

"""/jsi18n/: the pages' script words at an address naming their language and digest,
kept by browsers and caches until the words change; the plain address varies."""

import pytest
from django.utils import translation

from assertions.tests.factories import AssertionFactory
from core.i18n import script_words_url

pytestmark = pytest.mark.django_db


def test_a_page_loads_the_words_of_its_language_at_an_address_kept_for_a_year(client):
    # Given a public badge page seen in Italian
    badge = AssertionFactory()
    page = client.get(
        f"/public/assertions/{badge.entity_id}",
        HTTP_ACCEPT="text/html",
        HTTP_ACCEPT_LANGUAGE="it",
    )
    with translation.override("it"):
        address = script_words_url()
    # Then it loads the Italian words at an address naming the language and the digest
    assert f'src="{address.replace("&", "&amp;")}"' in page.content.decode()
    assert address.startswith("/jsi18n/?l=it&v=")
    # and that address gives them whatever the browser asks, for a year, to any cache
    words = client.get(address, HTTP_ACCEPT_LANGUAGE="en")
    assert "Link copiato." in words.content.decode()
    assert words["Content-Language"] == "it"
    assert words["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "Vary" not in words
    # each language's words have their own address
    with translation.override("en"):
        english = script_words_url()
    assert english.startswith("/jsi18n/?l=en&v=")
    assert english.split("v=")[1] != address.split("v=")[1]
    assert "Link copiato." not in client.get(english).content.decode()


@pytest.mark.parametrize("query", ["", "?l=it", "?l=it&v=old", "?l=xx&v=whatever", "?v=whatever"])
def test_any_other_address_is_the_visitors_language_and_says_it_varies(client, query):
    # (an older page, or a digest of words since changed: not kept)
    words = client.get(f"/jsi18n/{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert words.status_code == 200
    assert "immutable" not in words.get("Cache-Control", "")
    if "l=it" not in query:
        assert "Vary" in words
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in words["Vary"].split(",")}
        assert "Link copiato." not in words.content.decode()
    assert words["Content-Type"].startswith("text/javascript")

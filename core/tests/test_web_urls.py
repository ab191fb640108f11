"""The one rule for stored URLs (core.validators.validate_web_url), and the pages' filter
that keeps anything else from becoming a link."""

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template

from core.validators import WEB_URL_MAX_LENGTH, is_web_url, validate_web_url

ACCEPTED = [
    "https://example.org",
    "http://example.org/path?q=1#part",
    "https://sub.example.co.uk:8443/a/b",
    "http://localhost:8000/criteria",
    "https://example.org/" + "a" * (WEB_URL_MAX_LENGTH - len("https://example.org/")),
]
REFUSED = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "file:///etc/passwd",
    "ftp://example.org/file",
    "mailto:someone@example.org",
    "//example.org/path",
    "/relative/path",
    "example.org",
    "https://",
    "https://example.org/ space",
    "https://example.org/" + "a" * WEB_URL_MAX_LENGTH,
    "",
    None,
    42,
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_absolute_http_addresses_pass(url):
    validate_web_url(url)
    assert is_web_url(url)


@pytest.mark.parametrize("url", REFUSED)
def test_anything_else_is_refused_with_a_sentence(url):
    with pytest.raises(ValidationError) as refused:
        validate_web_url(url)
    assert refused.value.messages[0].startswith(("Enter an absolute web address", "Keep web"))
    assert not is_web_url(url)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "/x", None])
def test_the_pages_filter_makes_no_link_of_anything_else(url):
    page = Template("{% load web_links %}[{{ url|web_url }}]").render(Context({"url": url}))
    assert page == "[]"


def test_the_pages_filter_keeps_a_web_address():
    page = Template("{% load web_links %}{{ url|web_url }}").render(
        Context({"url": "https://example.org/a?b=1&c=2"})
    )
    assert page == "https://example.org/a?b=1&amp;c=2"

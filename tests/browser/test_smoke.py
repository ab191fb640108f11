"""A real Chromium against a live server: the admin login and the API docs work."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from assertions import demo

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = pytest.mark.browser


def test_demo_admin_logs_in(browser_django, page, settings):
    # given the demo data of `make run`
    settings.DEBUG = True
    demo.seed()
    # when the demo superuser logs in through the admin login form
    page.goto(f"{browser_django.url}/admin/login/")
    page.fill("input[name=username]", demo.ADMIN.email.upper())
    page.fill("input[name=password]", demo.ADMIN.password)
    page.click("input[type=submit]")
    # then the admin index shows, styled (static files are served)
    expect(page.locator("#site-name")).to_be_visible()
    expect(page.locator("#user-tools")).to_contain_text("Welcome, Ada")
    color = page.eval_on_selector("#header", "el => getComputedStyle(el).backgroundColor")
    assert color not in ("rgba(0, 0, 0, 0)", "transparent")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "admin-index.png", full_page=True)


def test_api_docs_render_without_a_cdn(browser_django, page):
    # when the API docs page is opened on a closed network
    page.goto(f"{browser_django.url}/api/docs/")
    # then Swagger UI renders from the locally served assets
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Badges platform API")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "api-docs.png", full_page=True)

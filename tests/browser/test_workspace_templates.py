"""A real Chromium makes a badge template as an editor would (issue 20): from the
dashboard's New, in the designer with a live preview, tags as chips and an alignment row;
saves it, edits it into version 2, sees the history, and finds the template in the assign
wizard. Every page at 1280 and 390 px is no wider than the viewport; screenshots go to
tests/artifacts/ (git-ignored)."""

import base64
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.testing import png_bytes
from issuers.models import Role
from issuers.tests.factories import MembershipFactory
from templates_app.models import BadgeTemplate

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "pw-for-tests"
WIDTHS = (1280, 390)

pytestmark = pytest.mark.browser


@pytest.fixture
def editor(browser_django, settings):
    settings.SITE_URL = browser_django.url
    settings.ROOT_URLCONF = "tests.urls_media"  # badge images from this test's MEDIA_ROOT
    ARTIFACTS.mkdir(exist_ok=True)
    membership = MembershipFactory(
        role=Role.EDITOR, issuer__name="Demo Academy", user__email="editor@academy.example"
    )
    return {"site": browser_django.url, "issuer": membership.issuer, "user": membership.user}


def shoot(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width, f"{page.url} is {width_used}px wide at {width}px"
        page.screenshot(path=ARTIFACTS / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_editor_designs_a_template_and_assigns_it(editor, page):
    site, issuer = editor["site"], editor["issuer"]
    page.goto(f"{site}/admin/login/?next=/issuers/{issuer.entity_id}/")
    page.fill("input[name=username]", editor["user"].email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_test_id("dashboard-template-new").click()
    expect(page.locator("h1")).to_have_text("New badge template")

    # the designer draws the badge while the form is filled
    page.fill("input[name=name]", "Git Basics")
    page.fill("textarea[name=criteria_narrative]", "Pass the **final** quiz.")
    page.select_option("select[name=shape]", "hexagon")
    page.fill("input[name=title]", "Git Basics")
    page.select_option("select[name=icon]", "code")
    tags = page.get_by_label("Tags")
    for tag in ("git", "vcs"):
        tags.fill(tag)
        tags.press("Enter")
    expect(page.locator(".tpl-chip")).to_have_count(2)
    row = page.locator(".tpl-alignment-row").first
    row.get_by_label("Framework").fill("ESCO")
    row.get_by_label("Name").fill("Use version control")
    row.get_by_label("URL").fill("https://esco.example/s1.2")
    page.get_by_role("button", name="Add an alignment").click()
    expect(page.locator(".tpl-alignment-row")).to_have_count(2)
    page.locator(".tpl-alignment-row").nth(1).get_by_role("button", name="Remove").click()
    expect(page.locator(".tpl-alignment-row")).to_have_count(1)
    page.fill("input[name=validity_amount]", "2")
    page.select_option("select[name=validity_unit]", "years")

    preview = page.get_by_test_id("template-preview")
    expect(preview.locator("h2")).to_have_text("Git Basics")
    expect(preview.locator("strong")).to_have_text("final")
    expect(preview).to_contain_text("Use version control")
    expect(preview).to_contain_text("Valid for 2 years")
    image = preview.get_by_test_id("preview-image")
    expect(image).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    shoot(page, "template-designer")

    page.get_by_test_id("template-save").click()
    expect(page.get_by_text("The template “Git Basics” is saved.")).to_be_visible()
    template = BadgeTemplate.objects.get(issuer=issuer)
    assert template.tags == ["git", "vcs"]
    assert template.current_version.image.name.endswith(".svg")
    shoot(page, "template-edit")

    # a change makes version 2, and the history says what changed
    page.fill("input[name=name]", "Git Essentials")
    page.get_by_test_id("template-save").click()
    page.get_by_test_id("template-versions").click()
    versions = page.get_by_test_id("versions")
    expect(versions.locator("li")).to_have_count(2)
    expect(versions.locator("li").first).to_contain_text("Git Essentials")
    shoot(page, "template-versions")

    page.goto(f"{site}/issuers/{issuer.entity_id}/")
    expect(page.get_by_test_id("templates").locator("li")).to_have_count(1)
    shoot(page, "template-dashboard-editor")
    page.get_by_test_id("all-templates").click()
    expect(page.get_by_test_id("template-rows").locator("li")).to_have_count(1)
    shoot(page, "template-list")

    # the assign wizard offers it
    page.get_by_role("link", name="Assign Git Essentials").click()
    page.get_by_label("One earner").check()
    page.fill("input[name=first_name]", "Ada")
    page.fill("input[name=last_name]", "Lovelace")
    page.fill("input[name=email]", "ada@learners.example")
    page.get_by_role("button", name="Next").click()
    page.fill("input[name=activity_title]", "Git workshop")
    page.get_by_role("button", name="Next").click()
    expect(page.locator("h1")).to_have_text("Which badge?")
    choice = page.locator(".template-choice", has_text="Git Essentials")
    expect(choice).to_be_visible()
    expect(choice.locator("img")).to_have_attribute("src", re.compile(r"\.png$"))


def _svg_of(image) -> bytes:
    """The SVG an <img> shows from a data URI."""
    src = image.get_attribute("src")
    return base64.b64decode(src.split(",", 1)[1])


def test_the_designers_picture_stays_through_a_redesign(editor, page, tmp_path):
    site, issuer, user = editor["site"], editor["issuer"], editor["user"]
    page.goto(f"{site}/admin/login/?next=/issuers/{issuer.entity_id}/templates/new/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    # an editor draws a badge with a picture in place of the icon
    page.fill("input[name=name]", "Team badge")
    page.fill("textarea[name=criteria_narrative]", "Join the team.")
    page.fill("input[name=title]", "Team")
    picture = tmp_path / "team.png"
    picture.write_bytes(png_bytes(size=120, color="#10a050"))
    page.set_input_files("input[name=picture]", str(picture))
    preview = page.get_by_test_id("preview-image")
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    page.wait_for_function(
        "() => atob(document.querySelector('[data-testid=preview-image]').src.split(',')[1])"
        ".includes('data:image/png')"
    )
    page.get_by_test_id("template-save").click()
    expect(page.get_by_text("The template “Team badge” is saved.")).to_be_visible()
    # the designer on the edit page shows the picture, with a box to draw the icon instead
    page.locator("input[type=radio][value=design]").check()
    now = page.get_by_test_id("picture-now")
    expect(now).to_contain_text("Draw the icon instead of this picture")
    assert now.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    shoot(page, "template-picture")
    # another background colour, the picture not chosen again: the badge keeps it
    page.fill("input[name=background]", "#aa0000")
    expect(preview).to_have_attribute("src", re.compile(r"^data:image/svg\+xml;base64,"))
    page.wait_for_function(
        "() => atob(document.querySelector('[data-testid=preview-image]').src.split(',')[1])"
        ".includes('#aa0000')"
    )
    assert b"data:image/png" in _svg_of(preview)
    page.get_by_test_id("template-save").click()
    expect(page.get_by_text("The template “Team badge” is saved.")).to_be_visible()
    template = BadgeTemplate.objects.get(issuer=issuer)
    with template.current_version.image.open("rb") as file:
        drawn = file.read()
    assert template.current_version.number == 2
    assert b"#aa0000" in drawn
    assert b"data:image/png" in drawn
    # in Italian too
    user.language = "it"
    user.save(update_fields=["language"])
    page.reload()
    page.locator("input[type=radio][value=design]").check()
    expect(page.get_by_test_id("picture-now")).to_contain_text(
        "Disegna l'icona al posto di questa immagine"
    )
    shoot(page, "template-picture-it")
    # the box ticked, the icon is drawn instead and the picture is forgotten
    page.get_by_label("Disegna l'icona al posto di questa immagine").check()
    page.get_by_test_id("template-save").click()
    expect(page.get_by_test_id("picture-now")).to_have_count(0)
    template.refresh_from_db()
    assert not template.design_picture
    with template.current_version.image.open("rb") as file:
        assert b"data:image/png" not in file.read()

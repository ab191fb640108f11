# ruff: noqa: E501 (the table of PAGES keeps one line per page state)
"""WCAG 2.2 AA in a real Chromium (issue 24, docs/accessibility.md).

One walk through every page state of PAGES (a page added later is one line there), each
checked at 1280 and 390 px:
- axe-core (npm `axe-core`, tests/browser/js, installed from its lock file by
  scripts/js-deps.sh) injected into the page: no violation at any impact level, and every
  "needs review" item explained in REVIEWED;
- what axe cannot see: every aria-describedby / aria-labelledby target exists; control
  borders and the focus ring are at least 3:1 against what surrounds them (from the
  rendered styles); after a submit with errors the focus is on the error summary and the
  title starts with "Error:"; no page is wider than a 320 px viewport.
And a keyboard-only walk: sign in, assign one badge, assign two from pasted rows, revoke
one, sign out. Screenshots go to tests/artifacts/ (git-ignored). While fixing a page,
A11Y_ONLY=name,name walks only those states."""

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from assertions.models import Assertion, AssertionStatus
from assertions.services import assertion_revoke, batch_assign
from assertions.tests.factories import AssertionFactory
from core.testing import png_bytes
from earners.models import Earner
from issuers.models import Role
from issuers.services import credits_top_up
from issuers.tests.factories import MembershipFactory
from templates_app.tests.factories import BadgeTemplateFactory

AXE = Path(__file__).resolve().parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "pw-for-tests"
WIDTHS = (1280, 390)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# axe's "needs review" items that a person has reviewed: (rule id, what axe says it could
# not decide, as its message key or the element's selector) and why each is fine.
# Anything else axe cannot decide fails the test until it is fixed or explained here.
REVIEWED = {
    ("color-contrast", "nonBmp"): "the verifier's check marks (✓ ✗ –) are decorative and "
    "aria-hidden; each check says its result in words beside them",
    ("frame-tested", "iframe"): "the email previews are sandboxed srcdoc frames (no script "
    "runs in them, so axe cannot enter); the emails are checked by hand "
    "(docs/accessibility.md)",
}


def reviewed(rule: str, node: dict) -> bool:
    checks = node.get("any", []) + node.get("all", []) + node.get("none", [])
    keys = {c["data"].get("messageKey") for c in checks if isinstance(c.get("data"), dict)}
    keys |= {str(part) for part in node.get("target", [])}
    return any((rule, key) in REVIEWED for key in keys)


# Screenshots of a few states, to look at (the focus ring, the error summary).
SHOTS = {"wizard-earners-errors", "wizard-context-errors", "dashboard", "backpack", "assignments"}

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class State:
    """One page state: who looks at it, where, and what is done there first."""

    name: str
    who: str  # "anon", "anon-it" (Italian), "staff" or "earner": one browser context each
    path: str  # formatted with the world's ids ({issuer}, {badge}, ...)
    act: Callable | None = None  # fills and submits; None: the page as it opens
    errors: bool = False  # the state is a submit with errors


def click(name: str) -> Callable:
    return lambda page: page.get_by_role("button", name=name, exact=True).click()


def submit(name: str) -> Callable:
    """Submits as it is: the browser's own checks of required fields are set aside, so
    the page's own error handling is what is seen (a script-less or older browser)."""

    def act(page):
        page.evaluate("document.querySelectorAll('form').forEach((f) => { f.noValidate = true; })")
        page.get_by_role("button", name=name, exact=True).click()

    return act


def fill_and(fields: dict[str, str], button: str) -> Callable:
    def act(page):
        for selector, value in fields.items():
            page.fill(selector, value)
        page.get_by_role("button", name=button, exact=True).click()

    return act


def check_and(selector: str, button: str) -> Callable:
    def act(page):
        page.check(selector)
        page.get_by_role("button", name=button, exact=True).click()

    return act


SINGLE = {
    "#id_first_name": "Ada",
    "#id_last_name": "Lovelace",
    "#id_email": "ada@uni.example",
}
W = "/issuers/{issuer}/assign"

# Every page and state, in the order of a walk (the wizard's steps follow each other).
# A page added to the site is one more line here.
# fmt: off
PAGES = [
    State("home", "anon", "/"),
    State("home-italian", "anon-it", "/"),
    State("public-badge-italian", "anon-it", "/public/assertions/{badge}"),
    State("sign-in", "anon", "/accounts/login/"),
    State("sign-in-errors", "anon", "/accounts/login/", submit("Sign in"), errors=True),
    State("staff-sign-in", "anon", "/admin/login/"),
    State("password-reset", "anon", "/accounts/password-reset/"),
    State("password-reset-errors", "anon", "/accounts/password-reset/", submit("Email me a link"), errors=True),
    State("set-password", "anon", "{set_password}"),
    State("set-password-errors", "anon", "{set_password}", submit("Set my password"), errors=True),
    State("verify", "anon", "/verify/"),
    State("verify-errors", "anon", "/verify/", submit("Verify"), errors=True),
    State("public-badge", "anon", "/public/assertions/{badge}"),
    State("public-badge-verified", "anon", "/public/assertions/{badge}", click("Verify")),
    State("public-badge-revoked", "anon", "/public/assertions/{revoked}"),
    State("public-badgeclass", "anon", "/public/badges/{template}"),
    State("public-issuer", "anon", "/public/issuers/{issuer}"),
    State("dashboard", "staff", "/issuers/{issuer}/"),
    State("wizard-earners", "staff", W + "/earners/"),
    State("wizard-earners-errors", "staff", W + "/earners/", submit("Next"), errors=True),
    State("wizard-context", "staff", W + "/earners/", fill_and(SINGLE, "Next")),
    State("wizard-context-errors", "staff", W + "/context/", submit("Next"), errors=True),
    State("wizard-template", "staff", W + "/context/", fill_and({"#id_activity_title": "Course"}, "Next")),
    State("wizard-template-errors", "staff", W + "/template/", submit("Next"), errors=True),
    State("wizard-validity", "staff", W + "/template/", check_and("#template-choice-0", "Next")),
    State("wizard-validity-errors", "staff", W + "/validity/", check_and("#id_validity_2", "Next"), errors=True),
    State("wizard-notes", "staff", W + "/validity/", check_and("#id_validity_1", "Next")),
    State("wizard-review", "staff", W + "/notes/", click("Next")),
    State("batch", "staff", "/issuers/{issuer}/batches/{batch}/"),
    State("wizard-columns", "staff", W + "/earners/", lambda page: bulk_rows(page, "email\nnot-an-email\n")),
    State("staff-badges", "staff", "/issuers/{issuer}/badges/"),
    State("staff-badge", "staff", "/issuers/{issuer}/badges/{badge}/"),
    State("staff-badge-errors", "staff", "/issuers/{issuer}/badges/{badge}/", submit("Revoke"), errors=True),
    State("import", "staff", "/issuers/{issuer}/import/"),
    State("templates", "staff", "/issuers/{issuer}/templates/"),
    State("template-new", "staff", "/issuers/{issuer}/templates/new/"),
    State("template-new-errors", "staff", "/issuers/{issuer}/templates/new/", submit("Create the template"), errors=True),
    State("template-edit", "staff", "/issuers/{issuer}/templates/{template}/"),
    State("template-versions", "staff", "/issuers/{issuer}/templates/{template}/versions/"),
    State("earners", "staff", "/issuers/{issuer}/earners/"),
    State("earner", "staff", "/issuers/{issuer}/earners/{earner}/"),
    State("assignments", "staff", "/issuers/{issuer}/assignments/"),
    State("members", "staff", "/issuers/{issuer}/members/"),
    State("members-errors", "staff", "/issuers/{issuer}/members/", submit("Send the invitation"), errors=True),
    State("credits", "staff", "/issuers/{issuer}/credits/"),
    State("credits-errors", "staff", "/issuers/{issuer}/credits/", fill_and({"#id_amount": "0"}, "Send the request"), errors=True),
    State("issuer-emails", "staff", "/issuers/{issuer}/emails/"),
    State("backpack", "earner", "/me/badges"),
    State("backpack-import", "earner", "/me/badges/import"),
    State("backpack-import-errors", "earner", "/me/badges/import", submit("Verify and add"), errors=True),
    State("collections", "earner", "/me/collections"),
    State("account-settings", "earner", "/accounts/settings/"),
    State("account-settings-errors", "earner", "/accounts/settings/", submit("Send confirmation link"), errors=True),
    State("account-password", "earner", "/accounts/password/"),
    State("account-password-errors", "earner", "/accounts/password/", submit("Change password"), errors=True),
    State("account-data", "earner", "/me/data"),
]
# fmt: on


def bulk_rows(page, rows: str) -> None:
    page.check("#id_mode_1")
    page.fill("#id_pasted", rows)
    page.get_by_role("button", name="Next", exact=True).click()


@pytest.fixture
def world(browser_django, settings):
    settings.SITE_URL = browser_django.url
    settings.ROOT_URLCONF = "tests.urls_media"  # badge images from this test's MEDIA_ROOT
    ARTIFACTS.mkdir(exist_ok=True)
    membership = MembershipFactory(
        role=Role.OWNER, issuer__name="Demo Academy", user__email="staff@academy.example"
    )
    issuer, staff = membership.issuer, membership.user
    credits_top_up(issuer=issuer, amount=50)
    template = BadgeTemplateFactory(
        issuer=issuer,
        name="Python Fundamentals",
        image=SimpleUploadedFile("b.png", png_bytes(size=200, text="PY"), "image/png"),
    )
    BadgeTemplateFactory(
        issuer=issuer,
        name="Workshop Participant",
        image=SimpleUploadedFile("w.png", png_bytes(size=200, text="WS"), "image/png"),
    )
    earner = UserFactory(email="grace@uni.example", first_name="Grace", last_name="Hopper")
    badge = AssertionFactory(template=template, recipient_email=earner.email)
    revoked = AssertionFactory(template=template, recipient_email="linus@uni.example")
    assertion_revoke(assertion=revoked, reason="Issued by mistake.", notify=False)
    Earner.objects.filter(email=earner.email).update(user=earner)
    batch = batch_assign(
        template=template,
        rows=[{"email": "alan@uni.example", "first_name": "Alan", "last_name": "Turing"}],
        actor=staff,
        notify=False,
    ).batch
    newcomer = UserFactory(email="new@uni.example", password=None)
    uid = urlsafe_base64_encode(force_bytes(newcomer.pk))
    token = default_token_generator.make_token(newcomer)
    return {
        "site": browser_django.url,
        "staff": staff,
        "earner": earner,
        "ids": {
            "issuer": issuer.entity_id,
            "template": template.entity_id,
            "badge": badge.entity_id,
            "revoked": revoked.entity_id,
            "batch": batch.entity_id,
            "earner": Earner.objects.get(issuer=issuer, email=earner.email).entity_id,
            "set_password": f"/accounts/set-password/{uid}/{token}/",
        },
    }


def signed_in(browser, site: str, who: str, user):
    language = "it" if who.endswith("-it") else "en"
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        base_url=site,
        extra_http_headers={"Accept-Language": language},
    )
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    if who == "staff":
        page.goto("/admin/login/")
        page.fill("input[name=username]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit]")
    elif who == "earner":
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.email)
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    return page


# --- what axe cannot see, measured in the page --------------------------------------------

# The relative luminance of a CSS colour (WCAG 2.2's formula); null when transparent.
COLOURS_JS = """
const lum = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    if (p.length > 3 && p[3] === 0) return null;
    const lin = p.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  };
"""

CHECKS_JS = """
() => {
  ${COLOURS}
  const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const l = lum(getComputedStyle(node).backgroundColor);
      if (l !== null) return l;
    }
    return 1;
  };
  const visible = (el) => el.offsetParent !== null && getComputedStyle(el).visibility !== "hidden";
  const problems = [];
  const where = (el) => el.outerHTML.slice(0, 120);
  for (const attr of ["aria-describedby", "aria-labelledby"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${attr} names a missing #${id}: ${where(el)}`);
      }
    }
  }
  // WCAG 1.4.11: a control's boundary (its border, or its fill when it has no border of
  // its own colour) at least 3:1 against what is around it. Disabled controls are exempt;
  // checkboxes, radios and file pickers are drawn by the browser.
  const controls = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]):not([type=submit]), select, textarea, .button";
  for (const el of document.querySelectorAll(controls)) {
    if (!visible(el) || el.disabled) continue;
    const s = getComputedStyle(el);
    const around = background(el.parentElement);
    const border = parseFloat(s.borderTopWidth) > 0 ? lum(s.borderTopColor) : null;
    const fill = lum(s.backgroundColor);
    const best = Math.max(border === null ? 1 : ratio(border, around), fill === null ? 1 : ratio(fill, around));
    if (best < 3) problems.push(`control boundary ${best.toFixed(2)}:1: ${where(el)}`);
  }
  return problems;
}
"""

CHECKS_JS = CHECKS_JS.replace("${COLOURS}", COLOURS_JS)

# The innermost elements that reach past the viewport's right edge, to say what to fix.
WIDEST_JS = """
() => [...document.querySelectorAll("body *")]
  .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > window.innerWidth + 0.5))
  .slice(0, 3).map((el) => el.outerHTML.slice(0, 100))
"""

FOCUS_JS = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  ${COLOURS}
  let around = 1;
  for (let node = el.parentElement; node; node = node.parentElement) {
    const l = lum(getComputedStyle(node).backgroundColor);
    if (l !== null) { around = l; break; }
  }
  const s = getComputedStyle(el);
  const ring = s.outlineStyle !== "none" ? lum(s.outlineColor) : null;
  const width = s.outlineStyle !== "none" ? parseFloat(s.outlineWidth) : 0;
  const contrast = ring === null ? 0 : (Math.max(ring, around) + 0.05) / (Math.min(ring, around) + 0.05);
  return { what: el.outerHTML.slice(0, 120), width, contrast };
}
"""


FOCUS_JS = FOCUS_JS.replace("${COLOURS}", COLOURS_JS)


def axe_problems(page) -> list[str]:
    results = page.evaluate(
        # Only what failed or needs review comes back (the passes are many and long).
        "(tags) => axe.run(document, { runOnly: { type: 'tag', values: tags },"
        " resultTypes: ['violations', 'incomplete'] })",
        AXE_TAGS,
    )
    problems = [
        f"axe {v['id']} ({v['impact']}): {n['target']} {n['failureSummary']}"
        for v in results["violations"]
        for n in v["nodes"]
    ]
    problems += [
        f"axe needs review {v['id']}: {n['target']} {json.dumps(n.get('any', [])[:1])[:300]}"
        for v in results["incomplete"]
        for n in v["nodes"]
        if not reviewed(v["id"], n)
    ]
    return problems


def focus_ring_problems(page, limit: int = 60) -> list[str]:
    """Tab through the page (up to `limit` stops): each stop shows the site's ring,
    at least 2 px and 3:1 against the background around it."""
    problems, seen = [], set()
    page.locator("body").focus()
    for _ in range(limit):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_JS)
        if ring is None or ring["what"] in seen:
            break
        seen.add(ring["what"])
        if ring["what"].startswith("<iframe"):
            # Chromium gives a frame whose document holds the focus neither :focus nor
            # :focus-within (docs/accessibility.md, known exceptions).
            continue
        if ring["width"] < 2 or ring["contrast"] < 3:
            problems.append(
                f"focus ring {ring['width']}px at {ring['contrast']:.2f}:1 on {ring['what']}"
            )
    return problems


def check_state(page, state: State) -> list[str]:
    problems = []
    language = "it" if state.who.endswith("-it") else "en"
    if page.evaluate("document.documentElement.lang") != language:
        problems.append(f"<html lang> is not {language!r}")
    if state.errors:
        focused = page.evaluate("document.activeElement.dataset.errorSummary !== undefined")
        if not focused:
            problems.append("after the failed submit the focus is not on the error summary")
        if not page.title().startswith("Error:"):
            problems.append(f"title {page.title()!r} does not start with 'Error:'")
    problems += page.evaluate(CHECKS_JS)
    problems += focus_ring_problems(page)
    # The Tab walk may end on the skip link, shown over the header while focused: axe
    # would then find the header's links overlapped.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        problems += [f"{width}px: {p}" for p in axe_problems(page)]
        if state.name in SHOTS:
            page.screenshot(path=ARTIFACTS / f"a11y-{state.name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 320, "height": 900})
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > 320:
        culprits = page.evaluate(WIDEST_JS)
        problems.append(f"{wide}px wide in a 320px viewport: {culprits}")
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def test_every_page_state_meets_wcag_22_aa(world, browser):
    # Given the site with an issuer, its staff, an earner with badges, and a new account
    pages = {
        "anon": signed_in(browser, world["site"], "anon", None),
        "anon-it": signed_in(browser, world["site"], "anon-it", None),
        "staff": signed_in(browser, world["site"], "staff", world["staff"]),
        "earner": signed_in(browser, world["site"], "earner", world["earner"]),
    }
    found, titles = {}, {}
    for state in [
        s
        for s in PAGES
        if not os.environ.get("A11Y_ONLY") or s.name in os.environ["A11Y_ONLY"].split(",")
    ]:
        # When each state is reached (the page opened, then what is done there)
        page = pages[state.who]
        page.goto(state.path.format(**world["ids"]))
        if state.act:
            state.act(page)
            page.wait_for_load_state()
        if state.name == "public-badge-verified":
            expect(page.locator(".verify-result")).not_to_be_empty()
        # Then nothing in it falls short
        problems = check_state(page, state)
        if problems:
            found[state.name] = problems
        titles[state.name] = page.title()
    assert not found, json.dumps(found, indent=1)
    # and each step of the wizard has a title of its own, naming the step
    steps = [titles[n] for n in titles if n.startswith("wizard-") and not n.endswith("-errors")]
    assert len(set(steps)) == len(steps), steps
    assert all(re.search(r"Step \d of 6: ", title) for title in steps), steps


def tab_to(page, predicate: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches the JS `predicate` (of `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {predicate}; }})()"):
            return
    raise AssertionError(f"Tab never reached {predicate} on {page.url}")


def by_name(text: str) -> str:
    return f"(el.innerText || el.value || '').trim() === {json.dumps(text)}"


def test_keyboard_only_sign_in_assign_single_and_bulk_revoke_sign_out(world, browser):
    # Given staff with nothing but a keyboard
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=world["site"])
    page = context.new_page()
    keys = page.keyboard
    page.goto("/admin/login/")
    # When they sign in
    tab_to(page, "el.name === 'username'")
    keys.type(world["staff"].email)
    keys.press("Tab")
    keys.type(PASSWORD)
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Demo Academy")
    # ... assign one badge: the skip link first, then the dashboard's own Assign
    keys.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    tab_to(page, "el.getAttribute('aria-label') === 'Assign Python Fundamentals'")
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Who earns the badge?")
    for field, value in (
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", "ada@uni.example"),
    ):
        tab_to(page, f"el.name === '{field}'")
        keys.type(value)
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Assignment context")
    tab_to(page, "el.name === 'activity_title'")
    keys.type("Course")
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Which badge?")  # chosen on the dashboard
    tab_to(page, by_name("Next"))
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("How long is the badge valid?")
    tab_to(page, by_name("Next"))
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Notes")
    tab_to(page, "el.name === 'notify'")
    keys.press("Space")  # no email: nothing leaves the machine
    tab_to(page, by_name("Next"))
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Review and confirm")
    tab_to(page, "el.innerText.startsWith('Confirm')")
    keys.press("Enter")
    expect(page.get_by_test_id("batch-state")).to_contain_text("1 badge was issued")
    assert Assertion.objects.filter(recipient_email="ada@uni.example").count() == 1
    # ... and two from pasted rows, by the wizard's radios and textarea
    page.goto(f"/issuers/{world['ids']['issuer']}/assign/")
    tab_to(page, "el.name === 'mode'")
    keys.press("ArrowDown")  # "Many earners"
    tab_to(page, "el.name === 'pasted'")
    keys.type("email,first_name,last_name\nmary@uni.example,Mary,Somerville\n")
    keys.type("emmy@uni.example,Emmy,Noether")
    tab_to(page, by_name("Next"))
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Check the earners")
    tab_to(page, by_name("Continue"))
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Assignment context")
    tab_to(page, "el.name === 'activity_title'")
    keys.type("Workshop")
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Which badge?")
    tab_to(page, "el.name === 'template'")
    keys.press("Space")
    tab_to(page, by_name("Next"))
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("How long is the badge valid?")
    tab_to(page, by_name("Next"))  # the template's default
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Notes")
    tab_to(page, "el.name === 'notify'")
    keys.press("Space")
    tab_to(page, by_name("Next"))
    keys.press("Enter")
    expect(page.locator("h1")).to_have_text("Review and confirm")
    tab_to(page, "el.innerText.startsWith('Confirm')")
    keys.press("Enter")
    expect(page.get_by_test_id("batch-state")).to_contain_text("2 badges were issued")
    # ... revoke one from its staff page
    badge = Assertion.objects.get(recipient_email="mary@uni.example")
    page.goto(f"/issuers/{world['ids']['issuer']}/badges/{badge.entity_id}/")
    tab_to(page, "el.name === 'reason'")
    keys.type("Issued by mistake.")
    tab_to(page, by_name("Revoke"))
    keys.press("Enter")
    expect(page.locator(".status-revoked").first).to_be_visible()
    badge.refresh_from_db()
    assert badge.status == AssertionStatus.REVOKED
    # ... and sign out
    tab_to(page, by_name("Log out"))
    keys.press("Enter")
    expect(page).to_have_url(re.compile(r"/login/"))
    # Then they are signed out: the dashboard asks them to sign in again
    page.goto(f"/issuers/{world['ids']['issuer']}/")
    assert re.search(r"/login/", page.url)
    context.close()

// The public badge page: "Copy link" and the Verify panel.
// The panel fetches the hosted Open Badges 2.0 documents, as any verifier would, and
// shows each check it makes. No inline script: the production CSP allows 'self' only.
// Its words come from Django's JavaScript catalogue (/jsi18n/, the djangojs domain),
// loaded by the page before this file.
(function () {
  "use strict";

  const _ = window.gettext || function (text) { return text; };
  function format(text, values) {
    return window.interpolate ? window.interpolate(text, values, true)
      : text.replace(/%\((\w+)\)s/g, function (all, name) { return values[name]; });
  }

  const JSON_ACCEPT = { headers: { Accept: "application/ld+json, application/json" } };

  // --- copy link ---------------------------------------------------------------------
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      const status = document.querySelector(".copy-status");
      const text = button.getAttribute("data-copy");
      const done = function (ok) {
        if (status) status.textContent = ok ? _("Link copied.") : format(_("Copy this link: %(url)s"), { url: text });
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
      } else {
        done(false);
      }
    });
  });

  // --- verify --------------------------------------------------------------------------
  const panel = document.querySelector(".verify");
  if (!panel) return;
  const list = panel.querySelector(".checks");
  const result = panel.querySelector(".verify-result");
  const form = panel.querySelector(".verify-form");

  function show(state, label, detail) {
    const item = document.createElement("li");
    item.className = "check check-" + state;
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = state === "ok" ? "✓" : state === "fail" ? "✗" : "–";
    const text = document.createElement("span");
    const strong = document.createElement("strong");
    strong.textContent = label;
    text.appendChild(strong);
    if (detail) text.appendChild(document.createTextNode(" " + detail));
    item.appendChild(mark);
    item.appendChild(text);
    list.appendChild(item);
    return state !== "fail";
  }

  async function fetchJson(url) {
    const response = await fetch(url, JSON_ACCEPT);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { status: response.status, body: body };
  }

  function origin(url) {
    try { return new URL(url).origin; } catch (e) { return null; }
  }

  async function sha256Hex(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest)).map(function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }

  async function verify(email) {
    list.textContent = "";
    result.textContent = _("Checking…");
    result.className = "verify-result";
    const url = panel.getAttribute("data-assertion");
    let ok = true;

    const assertion = await fetchJson(url);
    if (assertion.status === 410) {
      const reason = assertion.body && assertion.body.revocationReason;
      show("fail", _("Not revoked:"), reason
        ? format(_("the issuer revoked this badge (%(reason)s)."), { reason: reason })
        : _("the issuer revoked this badge."));
      result.textContent = _("This badge is not valid.");
      result.className = "verify-result verify-fail";
      return;
    }
    const a = assertion.body || {};
    ok = show(assertion.status === 200 && a.type === "Assertion" ? "ok" : "fail",
      _("Assertion found:"), format(_("HTTP %(status)s, type %(type)s."),
        { status: assertion.status, type: a.type || _("none") })) && ok;
    ok = show(a.id === url ? "ok" : "fail", _("Hosted at its own id:"), a.id || _("no id")) && ok;
    ok = show(a.verification && a.verification.type === "hosted" ? "ok" : "fail",
      _("Verification:"), _("hosted (the issuer's server vouches for it).")) && ok;

    const badge = a.badge ? await fetchJson(a.badge) : { status: 0, body: null };
    const b = badge.body || {};
    ok = show(badge.status === 200 && b.type === "BadgeClass" && b.id === a.badge ? "ok" : "fail",
      _("Badge class:"), (b.name || _("not found")) + ".") && ok;

    const issuer = b.issuer ? await fetchJson(b.issuer) : { status: 0, body: null };
    const i = issuer.body || {};
    const isIssuer = i.type === "Issuer" || i.type === "Profile";
    ok = show(issuer.status === 200 && isIssuer && i.id === b.issuer ? "ok" : "fail",
      _("Issuer:"), (i.name || _("not found")) + (i.url ? " (" + i.url + ")." : ".")) && ok;
    ok = show(origin(a.id) && origin(a.id) === origin(i.id) ? "ok" : "fail",
      _("Same origin:"), format(_("the assertion is hosted where the issuer's profile is (%(origin)s)."),
        { origin: origin(i.id) })) && ok;

    const now = new Date();
    const issuedOn = a.issuedOn ? new Date(a.issuedOn) : null;
    ok = show(issuedOn && issuedOn <= now ? "ok" : "fail", _("Issued:"), a.issuedOn || _("no date")) && ok;
    if (a.expires) {
      ok = show(new Date(a.expires) > now ? "ok" : "fail", _("Not expired:"),
        format(_("expires %(date)s."), { date: a.expires })) && ok;
    } else {
      show("ok", _("Not expired:"), _("this badge does not expire."));
    }

    if (i.revocationList) {
      const revocations = await fetchJson(i.revocationList);
      const revoked = ((revocations.body || {}).revokedAssertions || []).some(function (entry) {
        return entry.id === a.id || entry === a.id;
      });
      ok = show(revocations.status === 200 && !revoked ? "ok" : "fail",
        _("Not on the revocation list:"), revoked ? _("listed as revoked.") : _("not listed.")) && ok;
    }

    const recipient = a.recipient || {};
    if (!email) {
      show("skip", _("Recipient:"), _("enter an email address above to check that the badge was awarded to it."));
    } else if (!(window.crypto && crypto.subtle)) {
      show("skip", _("Recipient:"), _("this browser cannot compute the hash here (the page is not on https)."));
    } else {
      const salt = recipient.salt || "";
      const expected = (recipient.identity || "").toLowerCase();
      const normalised = email.trim().toLowerCase();
      const actual = recipient.hashed ? "sha256$" + await sha256Hex(normalised + salt) : normalised;
      ok = show(actual === expected ? "ok" : "fail", _("Recipient:"), format(
        actual === expected ? _("awarded to %(email)s.") : _("not awarded to %(email)s."),
        { email: normalised })) && ok;
    }

    result.textContent = ok ? _("This badge is valid.") : _("This badge did not pass every check.");
    result.className = "verify-result " + (ok ? "verify-ok" : "verify-fail");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const email = form.querySelector("input[name=email]").value;
    verify(email).catch(function (error) {
      result.textContent = format(_("The check could not finish: %(error)s"), { error: String(error) });
      result.className = "verify-result verify-fail";
    });
  });
})();

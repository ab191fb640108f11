// Every page: after a submit with errors the focus goes to the error summary (so a
// screen reader reads it first and the keyboard starts there); a summary's link moves
// the focus into its field. Otherwise a page may name what gets the focus when it
// opens (data-focus-on-load: the verifier's result, say). No inline script (CSP).
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  var first = summary || document.querySelector("[data-focus-on-load]");
  if (first) first.focus();
  if (!summary) return;
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) return;
    event.preventDefault();
    // A field in a panel that the page's script hid (the wizard's other mode) is shown first.
    var panel = field.closest("[hidden]");
    if (panel) panel.hidden = false;
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView({ block: "center" });
    field.focus({ preventScroll: true });
  });
})();

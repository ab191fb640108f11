// The assign wizard and the assignment page. No framework: a radio toggles the earner
// panels, the confirm button is pressed once, and the progress page polls its JSON.
(function () {
  "use strict";

  // Step 1: show the panel of the chosen mode (both stay in the page without JS).
  var radios = document.querySelectorAll('input[name="mode"]');
  function showMode() {
    var chosen = document.querySelector('input[name="mode"]:checked');
    document.querySelectorAll(".mode-panel").forEach(function (panel) {
      panel.hidden = chosen && panel.dataset.mode !== chosen.value;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", showMode); });
  if (radios.length) showMode();

  // The single earner: a field's problem shows under it as soon as the value is wrong
  // (when the person leaves the field, then at each keystroke), before any submit.
  document.querySelectorAll("[data-live-check] input").forEach(function (input) {
    var list = document.getElementById(input.id + "-error");
    var touched = false;
    function check() {
      var message = "";
      if (!input.value.trim()) message = input.dataset.requiredMessage;
      else if (input.dataset.emailMessage && input.validity.typeMismatch) message = input.dataset.emailMessage;
      list.textContent = "";
      if (message) {
        var item = document.createElement("li");
        item.textContent = message;
        list.appendChild(item);
      }
      input.parentElement.classList.toggle("has-error", !!message);
      if (message) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
    input.addEventListener("blur", function () { touched = true; check(); });
    input.addEventListener("input", function () { if (touched) check(); });
  });

  // Confirm: one click issues once.
  document.querySelectorAll(".confirm-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    });
  });

  // The assignment page: poll until the rows and the emails are all done.
  var box = document.getElementById("batch-progress");
  if (!box) return;
  var url = box.dataset.progressUrl;
  var rowsBar = document.getElementById("rows-bar");
  var emailsBar = document.getElementById("emails-bar");
  function render(data) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = data[el.dataset.field];
      if (value !== undefined) el.textContent = value;
    });
    if (rowsBar) {
      rowsBar.value = data.percent;
      rowsBar.textContent = data.percent + "%";
    }
    if (emailsBar) {
      emailsBar.value = data.emails_percent;
      emailsBar.textContent = data.emails_percent + "%";
    }
    var over = data.finished && data.emails_percent >= 100;
    // The page's wording and its per-row table are the server's: once everything is
    // over, take them from the page as it now is (in place, no navigation).
    if (over && "reloadWhenDone" in box.dataset) {
      delete box.dataset.reloadWhenDone;
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (response) { return response.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var freshBox = fresh.getElementById("batch-progress");
          if (freshBox) box.innerHTML = freshBox.innerHTML;
          var rowsPanel = fresh.getElementById("batch-rows-panel");
          var current = document.getElementById("batch-rows-panel");
          if (rowsPanel && current) current.replaceWith(rowsPanel);
          else if (rowsPanel) box.after(rowsPanel);
        });
    }
    return over;
  }
  var delay = 1000;
  var last = "";
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        // Every second while it moves; slower (up to 10 s) while nothing changes.
        var now = JSON.stringify(data);
        delay = now === last ? Math.min(delay * 1.5, 10000) : 1000;
        last = now;
        if (!render(data)) setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000); // the server is busy or gone: back off
        setTimeout(poll, delay);
      });
  }
  poll();
})();

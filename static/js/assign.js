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
    rowsBar.value = data.percent;
    rowsBar.textContent = data.percent + "%";
    emailsBar.value = data.emails_percent;
    emailsBar.textContent = data.emails_percent + "%";
    if (data.finished) {
      box.querySelectorAll("[data-show-when-finished]").forEach(function (el) {
        el.classList.remove("is-hidden");
      });
    }
    return data.finished && data.emails_percent >= 100;
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

// The import run page: poll its JSON until the run is done or failed.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) return;
  var bar = document.getElementById("import-bar");
  var list = document.getElementById("import-errors");
  var warnings = document.getElementById("import-warnings");
  function items(target, entries) {
    if (!target || !entries.length) return;
    target.replaceChildren.apply(target, entries.map(function (e) {
      var li = document.createElement("li");
      li.textContent = e.kind + " " + e.id + ": " + e.message;
      return li;
    }));
  }
  function render(data) {
    box.querySelectorAll("[data-field]").forEach(function (el) {
      var value = data[el.dataset.field];
      if (value !== undefined) el.textContent = value;
    });
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    items(list, data.errors);
    items(warnings, data.warnings || []);
    return data.finished;
  }
  var delay = 1000;
  function poll() {
    fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (data) {
        delay = 1000;
        if (!render(data)) setTimeout(poll, delay);
      })
      .catch(function () {
        delay = Math.min(delay * 2, 30000);
        setTimeout(poll, delay);
      });
  }
  poll();
})();

// The badge template form (workspace/template_form.html), made livelier where JavaScript
// runs; without it the form works as plain HTML (tags separated by commas, an empty
// alignment row to fill, a Preview button).
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview-url]");
  if (!form) return;
  var aside = document.querySelector(".tpl-aside");

  // --- image source: show the part that applies -------------------------------------
  function showSource() {
    var checked = form.querySelector("input[name=image_source]:checked");
    var source = checked ? checked.value : "";
    form.querySelectorAll("[data-source]").forEach(function (part) {
      part.hidden = part.getAttribute("data-source") !== source;
    });
  }
  form.querySelectorAll("input[name=image_source]").forEach(function (radio) {
    radio.addEventListener("change", showSource);
  });
  showSource();

  // --- tags as chips over the plain text input ----------------------------------------
  var tagsInput = form.querySelector("input[name=tags]");
  var chips = form.querySelector(".tpl-chips");
  if (tagsInput && chips) {
    var tags = tagsInput.value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
    var typing = document.createElement("input");
    typing.type = "text";
    typing.id = tagsInput.id;
    typing.setAttribute("aria-describedby", tagsInput.id + "_helptext");
    tagsInput.removeAttribute("aria-describedby"); // hidden now: the typing box says it
    typing.placeholder = tagsInput.getAttribute("data-placeholder") || "";
    tagsInput.id = tagsInput.id + "_value";
    tagsInput.type = "hidden";
    tagsInput.parentNode.insertBefore(typing, tagsInput);
    chips.hidden = false;
    var removeLabel = chips.getAttribute("data-remove-label") || "Remove";
    var render = function () {
      chips.textContent = "";
      tags.forEach(function (tag, i) {
        var chip = document.createElement("span");
        chip.className = "tpl-chip";
        chip.textContent = tag;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", removeLabel + " " + tag);
        remove.addEventListener("click", function () {
          tags.splice(i, 1);
          render();
          typing.focus();
          changed();
        });
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
      tagsInput.value = tags.join(", ");
    };
    var addTyped = function () {
      typing.value.split(",").forEach(function (t) {
        t = t.trim();
        if (t && tags.indexOf(t) === -1) tags.push(t);
      });
      typing.value = "";
      render();
    };
    typing.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === ",") {
        event.preventDefault();
        addTyped();
        changed();
      } else if (event.key === "Backspace" && !typing.value && tags.length) {
        tags.pop();
        render();
        changed();
      }
    });
    typing.addEventListener("blur", function () { if (typing.value.trim()) { addTyped(); changed(); } });
    form.addEventListener("submit", addTyped);
    render();
  }

  // --- alignment rows: add and remove -------------------------------------------------
  var rows = form.querySelector(".tpl-alignment-rows");
  var addButton = form.querySelector(".tpl-add-alignment");
  if (rows && addButton) {
    var template = rows.lastElementChild.cloneNode(true);
    var wire = function (row) {
      var remove = row.querySelector(".tpl-remove");
      remove.hidden = false;
      remove.addEventListener("click", function () {
        row.remove();
        if (!rows.children.length) addRow();
        changed();
      });
    };
    var addRow = function () {
      var row = template.cloneNode(true);
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      rows.appendChild(row);
      wire(row);
      return row;
    };
    Array.prototype.forEach.call(rows.children, wire);
    // The empty row the page always adds is for browsers without JavaScript.
    var last = rows.lastElementChild;
    if (rows.children.length > 1 && Array.prototype.every.call(last.querySelectorAll("input"), function (i) { return !i.value; })) last.remove();
    addButton.hidden = false;
    addButton.addEventListener("click", function () { addRow().querySelector("input").focus(); });
    var help = form.querySelector(".tpl-no-js-help");
    if (help) help.hidden = true;
  }

  // --- live preview: the server draws it from the form as it stands -------------------
  var timer = null;
  var pending = null;
  function refresh() {
    if (pending) pending.abort();
    pending = new AbortController();
    var box = aside.querySelector(".tpl-preview");
    if (box) box.setAttribute("aria-busy", "true");
    var data = new FormData(form);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      signal: pending.signal,
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) { return response.text(); })
      .then(function (html) { aside.innerHTML = html; })
      .catch(function () { if (box) box.removeAttribute("aria-busy"); });
  }
  function changed() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  if (!aside.querySelector("[data-testid=preview-image]")) refresh();
})();

// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Menus (<details>): close on a click elsewhere, on Escape, and when another one opens.
  var menus = Array.prototype.slice.call(document.querySelectorAll("details.menu"));
  document.addEventListener("click", function (event) {
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    menus.forEach(function (menu) {
      if (menu.open) { menu.open = false; menu.querySelector("summary").focus(); }
    });
  });
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () {
      if (!menu.open) return;
      menus.forEach(function (other) { if (other !== menu) other.open = false; });
    });
  });

  // Buttons that copy the value of an input: <button data-copy="#id">.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.querySelector(button.getAttribute("data-copy"));
      if (!input) return;
      input.select();
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done);
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });

  // Currency code shortcuts next to a text field: <button data-add-code="usd" data-target="#id">.
  document.querySelectorAll("[data-add-code]").forEach(function (button) {
    button.closest(".code-picks").hidden = false;
    button.addEventListener("click", function () {
      var input = document.querySelector(button.getAttribute("data-target"));
      var code = button.getAttribute("data-add-code");
      var codes = input.value.split(/[\s,;]+/).filter(Boolean);
      if (codes.map(function (c) { return c.toLowerCase(); }).indexOf(code) === -1) codes.push(code);
      input.value = codes.join(", ");
      input.focus();
    });
  });

  // Formsets: <button data-add-row="prefix"> clones the last row of #prefix-rows.
  document.querySelectorAll("[data-add-row]").forEach(function (button) {
    var prefix = button.getAttribute("data-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var body = document.getElementById(prefix + "-rows");
    if (!total || !body) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = body.querySelectorAll("tr");
      var last = rows[rows.length - 1];
      var index = parseInt(total.value, 10);
      var row = last.cloneNode(true);
      row.querySelectorAll("input").forEach(function (input) {
        ["name", "id"].forEach(function (attr) {
          var value = input.getAttribute(attr);
          if (value) input.setAttribute(attr, value.replace(/-\d+-/, "-" + index + "-"));
        });
        input.value = "";
        input.removeAttribute("aria-invalid");
      });
      row.querySelectorAll("label").forEach(function (label) {
        var target = label.getAttribute("for");
        if (target) label.setAttribute("for", target.replace(/-\d+-/, "-" + index + "-"));
      });
      row.querySelectorAll(".error-text").forEach(function (error) { error.remove(); });
      body.appendChild(row);
      total.value = index + 1;
      row.querySelector("input").focus();
    });
  });
  // "Refresh now" progress: poll the status endpoint and update each step in place until
  // everything is finished (without JavaScript a <meta refresh> reloads the page instead).
  var refresh = document.getElementById("refresh");
  if (refresh && refresh.getAttribute("data-done") !== "true" && window.fetch) {
    var url = refresh.getAttribute("data-status-url");
    var every = (parseInt(refresh.getAttribute("data-poll-seconds"), 10) || 2) * 1000;
    var list = document.getElementById("refresh-steps");
    var summary = document.getElementById("refresh-summary");
    var icons = document.getElementById("step-icons");
    var polls = 0;
    var update = function (data) {
      data.steps.forEach(function (step) {
        var item = list.querySelector('[data-key="' + step.key + '"]');
        if (!item) return;
        item.className = "step step-" + step.state;
        var icon = icons && icons.content.querySelector('[data-state="' + step.state + '"]');
        if (icon) item.querySelector(".step-icon").innerHTML = icon.innerHTML;
        item.querySelector(".step-label").textContent = step.label;
        item.querySelector(".step-words").textContent = step.words;
      });
      summary.textContent = data.summary;
      if (data.done) refresh.setAttribute("data-done", "true");
      return data.done;
    };
    var poll = function () {
      polls += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          // Slow down after a minute; a worker may be busy with other portfolios.
          if (!update(data)) setTimeout(poll, polls > 30 ? every * 3 : every);
        })
        .catch(function () { window.location.reload(); });
    };
    setTimeout(poll, every);
  }
})();

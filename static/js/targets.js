// The targets editor: the live sum of the percents typed, and a button that fills the targets
// with the current allocation. The form works without it.
(function () {
  "use strict";
  var form = document.getElementById("targets-form");
  if (!form) return;
  var sum = document.getElementById("targets-sum");
  var inputs = function () { return Array.prototype.slice.call(form.querySelectorAll("input[name=percent]")); };

  // Sums in hundredths of a millionth of a percent, to stay exact for the usual inputs.
  var SCALE = 1e8;
  function update() {
    var total = 0, bad = false;
    inputs().forEach(function (input) {
      var text = input.value.replace("%", "").trim();
      if (!text) return;
      var n = Number(text);
      if (!isFinite(n)) { bad = true; return; }
      total += Math.round(n * SCALE);
    });
    if (bad) { sum.textContent = "not a number"; return; }
    var shown = total / SCALE;
    sum.textContent = shown + " %" + (total === 100 * SCALE || total === 0 ? "" : " (must be 100 %)");
    sum.className = "num mono " + (total === 100 * SCALE || total === 0 ? "" : "down");
  }
  form.addEventListener("input", update);
  update();

  var fill = document.getElementById("targets-from-current");
  if (fill) {
    fill.hidden = false;
    fill.addEventListener("click", function () {
      form.querySelectorAll("tbody tr").forEach(function (row) {
        var cell = row.querySelector("[data-current]");
        var input = row.querySelector("input[name=percent]");
        var current = cell && cell.getAttribute("data-current");
        if (input && current) input.value = String(Math.round(Number(current) * 100 * 1e4) / 1e4);
      });
      update();
    });
  }
})();

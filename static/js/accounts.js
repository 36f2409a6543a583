// The exchange-account form: show only the credential fields the chosen exchange needs (each
// option of the exchange select lists them in data-credentials). Without this script every
// field is shown and the server checks that the needed ones are filled.
(function () {
  "use strict";
  var form = document.getElementById("account-form");
  if (!form) return;
  var select = form.querySelector("select[data-wallet-select]");
  if (!select) return;
  var fields = Array.prototype.slice.call(form.querySelectorAll("[data-credential-field]"));
  var help = form.querySelector("[data-credentials-help]");

  function update() {
    var option = select.options[select.selectedIndex];
    var needed = option && option.getAttribute("data-credentials");
    var names = needed ? needed.split(" ") : [];
    fields.forEach(function (wrapper) {
      var name = wrapper.getAttribute("data-credential-field");
      var shown = names.indexOf(name) !== -1;
      wrapper.hidden = !shown;
      var input = wrapper.querySelector("input");
      if (input) {
        input.disabled = !shown;
        input.required = shown;
      }
    });
    if (help) {
      help.textContent = names.length
        ? option.textContent + " needs the fields below."
        : "Choose the exchange first: its fields appear here.";
    }
  }
  select.addEventListener("change", update);
  update();
})();

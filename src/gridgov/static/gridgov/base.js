/* Every page (templates/base.html): the language switch submits its form when a language is chosen
 * (without JavaScript the <noscript> button does it). No inline handlers: the Content-Security-Policy
 * allows scripts from this site's static files only. */
(function () {
  "use strict";
  var select = document.getElementById("language-switch");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
})();

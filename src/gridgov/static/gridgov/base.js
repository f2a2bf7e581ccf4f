/* Every page (templates/base.html): the language switch submits its form when a language is chosen
 * (without JavaScript the <noscript> button does it). No inline handlers: the Content-Security-Policy
 * allows scripts from this site's static files only. */
(function () {
  "use strict";
  var select = document.getElementById("language-switch");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
  // one menu of the main navigation open at a time; a click elsewhere closes it
  var groups = Array.prototype.slice.call(document.querySelectorAll("details.navgroup"));
  groups.forEach(function (group) {
    group.addEventListener("toggle", function () {
      if (group.open) groups.forEach(function (other) { if (other !== group) other.open = false; });
    });
  });
  document.addEventListener("click", function (event) {
    groups.forEach(function (group) { if (!group.contains(event.target)) group.open = false; });
  });
})();

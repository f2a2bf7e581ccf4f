// The intake form: show only the fieldset of the chosen kind of request (all show without JS).
(function () {
  "use strict";
  var kind = document.getElementById("desk-kind");
  if (!kind) { return; }
  function show() {
    document.querySelectorAll("fieldset[data-kinds]").forEach(function (fs) {
      fs.hidden = fs.getAttribute("data-kinds").split(" ").indexOf(kind.value) < 0;
    });
  }
  kind.addEventListener("change", show);
  show();
})();

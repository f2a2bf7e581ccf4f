/* Import upload page (registry/import.html): upload with a progress bar; the server redirects to the
 * job page, which shows the import's progress. A refused upload (e.g. 413: too large) shows the
 * page's message above the form. */
(function () {
  "use strict";
  var form = document.getElementById("import-form"), bar = document.getElementById("upload-progress");
  if (!form || !bar || !window.XMLHttpRequest || !window.FormData) return;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var xhr = new XMLHttpRequest();
    bar.hidden = false;
    xhr.upload.onprogress = function (e) { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = function () {
      if (xhr.status < 400) { window.location = xhr.responseURL; return; }
      var found = new DOMParser().parseFromString(xhr.responseText, "text/html").querySelector("p.error");
      var shown = document.querySelector("[data-testid=import-page] p.error") || document.createElement("p");
      shown.className = "error";
      shown.textContent = found ? found.textContent : xhr.status + " " + xhr.statusText;
      form.parentNode.insertBefore(shown, form);
      bar.hidden = true;
    };
    xhr.open("POST", form.action || window.location.href);
    xhr.send(new FormData(form));
  });
})();

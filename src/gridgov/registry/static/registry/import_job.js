/* Import job page (registry/import_job.html): poll the job (its JSON URL in the card's data-url)
 * until it is done; the numbers are filled in with textContent only. */
(function () {
  "use strict";
  var card = document.querySelector("[data-testid=import-job]");
  if (!card) return;
  function show(job) {
    document.getElementById("job-progress").value = job.progress;
    ["state", "rows", "created", "updated", "unchanged", "rejected"].forEach(function (k) {
      document.getElementById("job-" + k).textContent = k === "state" ? job.state_label : job[k];
    });
    if (job.state === "done" || job.state === "failed" || job.interrupted) { window.location.reload(); return; }
    setTimeout(poll, 1000);
  }
  function poll() { fetch(card.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(show); }
  if ((card.dataset.state === "pending" || card.dataset.state === "running") &&
      !document.querySelector("[data-testid=job-interrupted]")) setTimeout(poll, 500);
})();

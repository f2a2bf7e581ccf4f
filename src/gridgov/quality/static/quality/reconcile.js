/* Reconciliation page (quality/reconcile_detail.html): poll the linkage (its JSON URL in the card's
 * data-url) until it is done or failed, then reload to show the results; numbers set with textContent. */
(function () {
  "use strict";
  var card = document.querySelector("[data-testid=reconcile-job]");
  if (!card) return;
  function show(job) {
    document.getElementById("rec-progress").value = job.progress;
    document.getElementById("rec-status").textContent = job.status_label;
    ["rows", "matched", "conflicting", "unregistered"].forEach(function (k) {
      document.getElementById("rec-" + k).textContent = job[k];
    });
    if (job.status === "done" || job.status === "failed") { window.location.reload(); return; }
    setTimeout(poll, 1000);
  }
  function poll() {
    fetch(card.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(show)
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (card.dataset.state === "pending" || card.dataset.state === "running") setTimeout(poll, 500);
})();

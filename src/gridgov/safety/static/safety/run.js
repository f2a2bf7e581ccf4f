/* Detection run page (safety/run.html): follow the run (its JSON URL in the card's data-url) until it
 * ends; the numbers are filled in with textContent only. */
(function () {
  "use strict";
  var card = document.querySelector("[data-testid=safety-run]");
  if (!card) return;
  function show(job) {
    document.getElementById("run-progress").value = job.progress;
    ["state_label", "series_done", "series_total", "chunks_done", "chunks_total", "warnings_total"].forEach(function (k) {
      document.getElementById("run-" + k).textContent = job[k];
    });
    if (job.state === "done" || job.state === "failed") { window.location.reload(); return; }
    setTimeout(poll, 1500);
  }
  function poll() { fetch(card.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(show); }
  if (card.dataset.state === "pending" || card.dataset.state === "running") setTimeout(poll, 1000);
})();

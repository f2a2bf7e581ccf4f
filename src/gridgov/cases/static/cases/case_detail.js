/* Case detail (cases/detail.html): a small map of the case's point with the grid outlines around it.
 * The point comes from the map element's data-lat / data-lon attributes. */
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  if (!el || !window.L) return;
  var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
  if (!isFinite(lat) || !isFinite(lon)) return;
  var map = L.map(el, {attributionControl: false}).setView([lat, lon], 17);
  L.circleMarker([lat, lon], {radius: 9, color: "#b3261e", fillOpacity: 0.6}).addTo(map);
  fetch("/api/v1/geo/layers/grids?zoom=16&bbox=" + [lon - 0.004, lat - 0.003, lon + 0.004, lat + 0.003].join(","),
        {credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (fc) { if (fc) L.geoJSON(fc, {style: {color: "#c26a00", weight: 1, fillOpacity: 0.08}}).addTo(map); })
    .catch(function () {});
})();

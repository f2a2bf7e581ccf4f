/* Project map (templates/command/project_map.html). Plain ES2017, Leaflet 1.9, no inline script.
 * Points from data-url (GeoJSON of the filtered projects that have a location), coloured by their
 * deadline colour; a popup links to the project. Strings from #project-map-i18n.
 * data-ready="true" once the points are on the map. */
(function () {
  "use strict";
  var el = document.getElementById("project-map");
  if (!el || !window.L) return;
  var I18N = {};
  try { I18N = JSON.parse(document.getElementById("project-map-i18n").textContent); } catch (e) { /* keys shown */ }
  function t(key) { return Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : key; }
  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var COLOURS = { green: "#2e7d32", yellow: "#e0a800", red: "#b3261e", grey: "#8a96a3" };
  var map = L.map(el, { minZoom: 8, maxZoom: 19 }).setView([31.2304, 121.4737], 13);
  window.gridgovProjectMap = map;
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }
  // street/town outlines with their names under the points (the map has no tile layer)
  function loadOutlines() {
    var url = el.getAttribute("data-divisions-url");
    if (!url) return null;
    return getJSON(url + "?level=9&zoom=12").then(function (fc) {
      L.geoJSON(fc, {
        style: { color: "#5b6773", weight: 1.2, fillColor: "#eef1f4", fillOpacity: 0.5, className: "project-street" },
        onEachFeature: function (f, lyr) {
          var name = (f.properties || {}).name;
          if (name) lyr.bindTooltip(esc(name), { permanent: true, direction: "center", className: "prj-street-label" });
        }
      }).addTo(map).bringToBack();
    }).catch(function () { /* outlines are a backdrop only */ });
  }
  // one request after the other: parallel requests of one session can race on its sliding expiry
  getJSON(el.getAttribute("data-url"))
    .then(function (data) { return Promise.resolve(loadOutlines()).then(function () { return data; }); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (f, latlng) {
          var p = f.properties || {};
          return L.circleMarker(latlng, { radius: 8, weight: 2, color: "#fff", fillColor: COLOURS[p.colour] || COLOURS.grey,
                                          fillOpacity: 0.95, className: "project-point" });
        },
        onEachFeature: function (f, lyr) {
          var p = f.properties || {};
          lyr.bindPopup('<a href="' + esc(p.url) + '"><strong>' + esc(p.title) + "</strong></a><br>" +
            esc(t("area")) + ": " + esc(p.area) + "<br>" + esc(t("status")) + ": " + esc(p.status) + "<br>" +
            esc(t("deadline")) + ": " + esc(p.deadline) + (p.overdue ? ' <strong>' + esc(t("overdue")) + "</strong>" : ""));
        }
      }).addTo(map);
      var n = (data.features || []).length;
      var counter = document.getElementById("project-map-count");
      if (counter) counter.textContent = t("count").replace("%(n)s", String(n));
      if (n) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 15 });
      el.setAttribute("data-ready", "true");
    })
    .catch(function () { el.setAttribute("data-ready", "error"); });
})();

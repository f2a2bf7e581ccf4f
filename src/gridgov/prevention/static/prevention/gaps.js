/* Gap map (templates/prevention/gaps.html). Plain ES2017, Leaflet 1.9, no inline script.
 * Grids from data-url as GeoJSON {code, name, gap, band, risk, coverage}, coloured by band.
 * data-ready="true" on the map once the grids are drawn. Strings from #gap-i18n. */
(function () {
  "use strict";
  var el = document.getElementById("gap-map");
  if (!el || !window.L) return;
  var I18N = {};
  try { I18N = JSON.parse(document.getElementById("gap-i18n").textContent); } catch (e) { /* keys shown */ }
  function t(k) { return Object.prototype.hasOwnProperty.call(I18N, k) ? I18N[k] : k; }
  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var COLOURS = { low: "#66bb6a", moderate: "#fdd835", high: "#fb8c00", severe: "#d32f2f" };
  var map = L.map(el, { minZoom: 8, maxZoom: 19 }).setView([31.2304, 121.4737], 14);
  var cameraLayer = null;

  /* Camera views as circles of their view radius (metres), off until the box is ticked. */
  function setUpCameras() {
    var box = document.getElementById("layer-cameras");
    if (!box) return;
    box.addEventListener("change", function () {
      if (!box.checked) { if (cameraLayer) map.removeLayer(cameraLayer); return; }
      if (cameraLayer) { cameraLayer.addTo(map); return; }
      fetch(el.getAttribute("data-cameras-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function (data) {
          cameraLayer = L.layerGroup((data.cameras || []).map(function (c) {
            var ok = c.status === "online";
            return L.circle([c.lat, c.lon], { radius: c.radius, weight: 1, color: ok ? "#1565c0" : "#757575",
              fillOpacity: ok ? 0.25 : 0.1 }).bindPopup(esc(c.code) + " · " + esc(t(c.status)));
          }));
          if (box.checked) cameraLayer.addTo(map);
          el.setAttribute("data-cameras", String((data.cameras || []).length));
        })
        .catch(function () { box.checked = false; });
    });
  }
  window.gridgovGapMap = map;
  fetch(el.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        style: function (f) {
          var c = COLOURS[(f.properties || {}).band] || "#9e9e9e";
          return { color: "#455a64", weight: 0.6, fillColor: c, fillOpacity: 0.55 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties || {};
          l.bindPopup("<strong>" + esc(p.name) + "</strong> <code>" + esc(p.code) + "</code><br>" +
            esc(t("gap")) + ": " + esc(p.gap) + "<br>" + esc(t("risk")) + ": " + esc(p.risk) + "<br>" +
            esc(t("coverage")) + ": " + esc(Math.round((p.coverage || 0) * 100)) + "%");
        }
      }).addTo(map);
      setUpCameras();
      if (data.features && data.features.length) map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      el.setAttribute("data-ready", "true");
    })
    .catch(function () {
      el.textContent = t("loadError");
      el.setAttribute("data-ready", "error");
    });
})();

/* Situation map (templates/safety/situation.html). Plain ES2017, Leaflet 1.9.
 * Areas come from the safety API as GeoJSON with properties {code, name, level, level_name,
 * colour, warnings}; hotspots as points {grid_code, category_name, kind, z, q, observed, expected}.
 * Strings come from #situation-i18n. Sets data-ready="true" on the map once both layers are drawn. */
(function () {
  "use strict";
  var el = document.getElementById("situation-map");
  if (!el || !window.L) return;
  var I18N = {};
  try { I18N = JSON.parse(document.getElementById("situation-i18n").textContent); } catch (e) { /* keys shown */ }
  function t(key) { return Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : key; }
  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  var map = L.map(el, { minZoom: 8, maxZoom: 19 }).setView([31.2304, 121.4737], 13);
  window.gridgovSituationMap = map;
  var trendUrl = el.getAttribute("data-trend-url");

  async function getJSON(url) {
    var resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!resp.ok) throw new Error("HTTP " + resp.status);
    return resp.json();
  }

  var areas = L.geoJSON(null, {
    className: "situation-area",
    style: function (f) {
      var p = f.properties || {};
      return { color: "#44505c", weight: 1, opacity: 0.8, fillColor: p.colour || "#d9dee4",
               fillOpacity: p.level > 0 ? 0.55 : 0.15 };
    },
    onEachFeature: function (f, layer) {
      var p = f.properties || {};
      if (layer.getElement) layer.on("add", function () {
        var path = layer.getElement();
        if (path) { path.setAttribute("data-level", p.level_name); path.setAttribute("data-code", p.code); }
      });
      layer.bindPopup(
        "<strong>" + esc(p.name) + "</strong> <code>" + esc(p.code) + "</code><br>" +
        esc(t("level")) + ": " + esc(t(p.level_name)) + " · " + esc(p.warnings) + " " + esc(t("warnings")) +
        '<br><a href="' + esc(trendUrl) + "?area=" + encodeURIComponent(p.code) + '">' + esc(t("trend")) + "</a>");
    }
  }).addTo(map);

  var spots = L.geoJSON(null, {
    pointToLayer: function (f, latlng) {
      var hot = String(f.properties.kind || "").indexOf("hot") === 0;
      var strong = /99$/.test(f.properties.kind || "");
      return L.circleMarker(latlng, { radius: strong ? 9 : 6, color: hot ? "#b3001b" : "#1f4fa8", weight: 2,
                                      fillOpacity: 0.25, className: "hotspot-marker" });
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      var hot = String(p.kind).indexOf("hot") === 0;
      layer.bindPopup("<strong>" + esc(hot ? t("hot") : t("cold")) + "</strong> " + esc(p.category_name) +
        "<br><code>" + esc(p.grid_code) + "</code><br>" + esc(p.observed) + " " + esc(t("observed")) + ", " +
        esc(p.expected) + " " + esc(t("expected")) + " (z = " + esc(p.z) + ")");
    }
  }).addTo(map);

  // One request after the other: parallel requests of one session can race on its sliding expiry.
  getJSON(el.getAttribute("data-situation-url"))
    .then(function (fc) {
      return getJSON(el.getAttribute("data-hotspots-url")).then(function (hs) { return [fc, hs]; });
    })
    .then(function (res) {
      areas.addData(res[0]);
      spots.addData(res[1]);
      var b = areas.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [10, 10] });
      el.setAttribute("data-areas", String((res[0].features || []).length));
      el.setAttribute("data-ready", "true");
    })
    .catch(function (err) {
      el.setAttribute("data-ready", "error");
      var p = document.createElement("p");
      p.className = "safety-error";
      p.textContent = t("loadError");
      el.parentNode.insertBefore(p, el);
      if (window.console) console.warn("situation map:", err);
    });
})();

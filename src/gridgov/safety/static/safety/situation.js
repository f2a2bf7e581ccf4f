/* Situation map (templates/safety/situation.html). Plain ES2017, Leaflet 1.9, no inline script.
 *
 * Layers, bottom to top (one pane each):
 *   areas without a warning (faint grey)  <  hotspots (off by default)  <  warned areas (coloured at
 *   the level of the week's highest warning on the area, a containing or a contained area)  <
 *   street/town outlines (labels from zoom 13)  <  district outlines (labels).
 * Areas come from the safety API as GeoJSON {code, name, level, level_name, colour, own_level,
 * warnings, via}; hotspots as points {grid_code, grid_name, category_name, kind, kind_label, z, q,
 * observed, expected};
 * outlines from the geo API (divisions of level 6 and 9). The checkboxes [data-layer] switch the
 * hotspots, streets and districts layers. Strings come from #situation-i18n. data-ready="true" on
 * the map once the areas and hotspots are loaded (outlines follow on their own).
 */
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
  var STREET_LABEL_ZOOM = 13;
  var map = L.map(el, { minZoom: 8, maxZoom: 19 }).setView([31.2304, 121.4737], 13);
  window.gridgovSituationMap = map;
  var trendUrl = el.getAttribute("data-trend-url");

  function pane(name, z) { map.createPane(name).style.zIndex = String(z); return name; }
  pane("sit-base", 400);
  pane("sit-spots", 410);
  pane("sit-warned", 420);
  pane("sit-streets", 430);
  pane("sit-districts", 440);

  async function getJSON(url) {
    var resp = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!resp.ok) throw new Error("HTTP " + resp.status);
    return resp.json();
  }

  function areaPopup(p) {
    var html = "<strong>" + esc(p.name) + "</strong> <code>" + esc(p.code) + "</code><br>" +
      esc(t("level")) + ": " + esc(t(p.level_name)) + "<br>" + esc(t("ownWarnings")) + ": " + esc(p.warnings);
    if (p.via) html += "<br>" + esc(t("via")) + " <code>" + esc(p.via) + "</code>";
    return html + '<br><a href="' + esc(trendUrl) + "?area=" + encodeURIComponent(p.code) + '">' + esc(t("trend")) + "</a>";
  }

  function areaLayer(warned) {
    return L.geoJSON(null, {
      pane: warned ? "sit-warned" : "sit-base",
      filter: function (f) { return ((f.properties || {}).level > 0) === warned; },
      style: function (f) {
        var p = f.properties || {};
        return warned
          ? { color: p.colour, weight: 2.5, opacity: 1, fillColor: p.colour, fillOpacity: 0.6,
              className: "situation-area situation-warned" }
          : { color: "#8a96a3", weight: 0.6, opacity: 0.8, fillColor: "#d9dee4", fillOpacity: 0.12,
              className: "situation-area" };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        layer.on("add", function () {
          var path = layer.getElement && layer.getElement();
          if (path) { path.setAttribute("data-level", p.level_name); path.setAttribute("data-code", p.code); }
        });
        layer.bindPopup(areaPopup(p));
      }
    });
  }
  var base = areaLayer(false).addTo(map);
  var warned = areaLayer(true).addTo(map);

  var spots = L.geoJSON(null, {
    pane: "sit-spots",
    pointToLayer: function (f, latlng) {
      var kind = String(f.properties.kind || "");
      var hot = kind.indexOf("hot") === 0;
      var strong = /99$/.test(kind);
      return L.circleMarker(latlng, { pane: "sit-spots", radius: strong ? 7 : 5, color: hot ? "#8c0015" : "#1f4fa8",
                                      weight: strong ? 2 : 1.5, fillColor: hot ? "#e4572e" : "#5b8fd9",
                                      fillOpacity: 0.8, className: "hotspot-marker hotspot-" + kind });
    },
    onEachFeature: function (f, layer) {
      var p = f.properties;
      var hot = String(p.kind).indexOf("hot") === 0;
      layer.bindPopup("<strong>" + esc(p.kind_label || (hot ? t("hot") : t("cold"))) + "</strong> " +
        esc(p.category_name) + "<br>" + esc(p.grid_name || "") + " <small><code>" + esc(p.grid_code) +
        "</code></small><br>" + esc(p.observed) + " " + esc(t("observed")) + ", " +
        esc(p.expected) + " " + esc(t("expected")) + " (z = " + esc(p.z) + ")");
    }
  }); // off by default: the checkbox adds it

  function outlineLayer(paneName, style, labelClass) {
    return L.geoJSON(null, {
      pane: paneName, interactive: false, style: style,
      onEachFeature: function (f, layer) {
        var name = (f.properties || {}).name;
        if (!name) return;
        var b = layer.getBounds();
        if (!b.isValid()) return;
        layer.ggLabel = L.tooltip({ permanent: true, direction: "center", className: "situation-label " + labelClass,
                                    interactive: false }).setLatLng(b.getCenter()).setContent(esc(name));
      }
    });
  }
  var streets = outlineLayer("sit-streets", { color: "#1f3f6e", weight: 1.5, opacity: 0.9, dashArray: "6 4",
                                              fill: false, className: "situation-street" }, "situation-label-street");
  var districts = outlineLayer("sit-districts", { color: "#1d2733", weight: 3, opacity: 0.95, fill: false,
                                                  className: "situation-district" }, "situation-label-district");
  var labels = { streets: L.layerGroup(), districts: L.layerGroup() };

  function showLabels() {
    var streetsOn = map.hasLayer(streets) && map.getZoom() >= STREET_LABEL_ZOOM;
    if (streetsOn && !map.hasLayer(labels.streets)) labels.streets.addTo(map);
    if (!streetsOn && map.hasLayer(labels.streets)) map.removeLayer(labels.streets);
    var districtsOn = map.hasLayer(districts);
    if (districtsOn && !map.hasLayer(labels.districts)) labels.districts.addTo(map);
    if (!districtsOn && map.hasLayer(labels.districts)) map.removeLayer(labels.districts);
  }
  map.on("zoomend", showLabels);

  var toggles = { hotspots: spots, streets: streets, districts: districts };
  Array.prototype.forEach.call(document.querySelectorAll("input[data-layer]"), function (box) {
    var layer = toggles[box.getAttribute("data-layer")];
    if (!layer) return;
    function apply() {
      if (box.checked) layer.addTo(map); else map.removeLayer(layer);
      el.setAttribute("data-layer-" + box.getAttribute("data-layer"), box.checked ? "on" : "off");
      showLabels();
    }
    box.addEventListener("change", apply);
    apply();
  });

  async function loadOutlines() {
    var url = el.getAttribute("data-divisions-url");
    if (!url) return;
    var pairs = [[districts, labels.districts, 6], [streets, labels.streets, 9]];
    for (var i = 0; i < pairs.length; i++) { // one after the other (see below)
      try {
        var fc = await getJSON(url + "?level=" + pairs[i][2] + "&zoom=12");
        pairs[i][0].addData(fc);
        pairs[i][0].eachLayer(function (layer) { if (layer.ggLabel) pairs[i][1].addLayer(layer.ggLabel); });
      } catch (err) {
        if (window.console) console.warn("situation map: no outlines of level " + pairs[i][2], err);
      }
    }
    el.setAttribute("data-outlines", "true");
    showLabels();
  }

  // One request after the other: parallel requests of one session can race on its sliding expiry.
  getJSON(el.getAttribute("data-situation-url"))
    .then(function (fc) {
      return getJSON(el.getAttribute("data-hotspots-url")).then(function (hs) { return [fc, hs]; });
    })
    .then(function (res) {
      base.addData(res[0]);
      warned.addData(res[0]);
      spots.addData(res[1]);
      var b = base.getBounds();
      if (warned.getBounds().isValid()) b = b.isValid() ? b.extend(warned.getBounds()) : warned.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [10, 10] });
      el.setAttribute("data-areas", String((res[0].features || []).length));
      el.setAttribute("data-warned", String(warned.getLayers().length));
      el.setAttribute("data-hotspots", String(spots.getLayers().length));
      el.setAttribute("data-ready", "true");
      return loadOutlines();
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

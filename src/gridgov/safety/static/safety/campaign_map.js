/* Map of a special campaign (templates/safety/campaign_detail.html). Plain ES2017, Leaflet 1.9, no
 * inline script. Data: #campaign-map-data {campaign, comparison}: two GeoJSON FeatureCollections of
 * outlines (geo selectors: areas_outline) with properties {code, name, level, role}. Campaign areas
 * blue and filled, comparison areas orange and dashed; the map fits both. data-ready="true" once
 * drawn, data-campaign / data-comparison the number of outlines drawn. Up to 12 outlines carry their
 * names; more show them on hover. */
(function () {
  "use strict";
  var el = document.getElementById("campaign-map");
  if (!el || !window.L) return;
  var data = {};
  try { data = JSON.parse(document.getElementById("campaign-map-data").textContent) || {}; } catch (e) { /* empty */ }
  var STYLE = {
    campaign: { color: "#1f6fd1", weight: 2.5, opacity: 1, fillColor: "#1f6fd1", fillOpacity: 0.35 },
    comparison: { color: "#f07c00", weight: 2, opacity: 1, dashArray: "6 4", fillColor: "#f07c00", fillOpacity: 0.12 }
  };
  var map = L.map(el, { minZoom: 8, maxZoom: 19, zoomSnap: 0.25, scrollWheelZoom: false }).setView([31.2304, 121.4737], 12);
  window.gridgovCampaignMap = map;
  var bounds = null;
  var counts = {};
  var total = ((data.campaign || {}).features || []).length + ((data.comparison || {}).features || []).length;
  var LABELS = total <= 12;  // names on the map when few; otherwise on hover
  ["comparison", "campaign"].forEach(function (role) {
    var fc = data[role] || { type: "FeatureCollection", features: [] };
    counts[role] = (fc.features || []).length;
    var layer = L.geoJSON(fc, {
      style: function () { return Object.assign({ className: "campaign-area campaign-" + role }, STYLE[role]); },
      onEachFeature: function (f, lyr) {
        var p = f.properties || {};
        lyr.bindTooltip(String(p.name || p.code || ""), LABELS
          ? { permanent: true, direction: "center", className: "campaign-map-tip campaign-map-label" }
          : { className: "campaign-map-tip" });
        lyr.on("add", function () {
          var path = lyr.getElement && lyr.getElement();
          if (path) { path.setAttribute("data-code", p.code); path.setAttribute("data-role", role); }
        });
      }
    }).addTo(map);
    if (counts[role]) {
      var b = layer.getBounds();
      bounds = bounds ? bounds.extend(b) : b;
    }
  });
  if (bounds && bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12] });
  el.setAttribute("data-campaign", String(counts.campaign || 0));
  el.setAttribute("data-comparison", String(counts.comparison || 0));
  el.setAttribute("data-ready", "true");
})();

/* Open-cases map (templates/cases/map.html): points from data-url (GeoJSON), coloured by the running
 * stage's deadline (grey: no running clock), larger when under supervision; district and street/town
 * outlines with names (data-divisions-url, geo API) beneath them for orientation. Every symbol is in
 * the page's legend. data-ready="true" once the points are drawn. */
(function () {
  "use strict";
  var el = document.getElementById("cases-map");
  if (!el || !window.L) return;
  var COLOURS = {green: "#2e7d32", yellow: "#e0a800", red: "#b3261e", grey: "#777"};
  var map = L.map(el).setView([31.2304, 121.4737], 14);
  window.gridgovCasesMap = map;
  var outlinePane = map.createPane("cm-outlines");
  outlinePane.style.zIndex = "390";
  outlinePane.style.pointerEvents = "none";

  function json(url) {
    return fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); });
  }

  function outlines(level, style, labelClass) {
    var url = el.getAttribute("data-divisions-url");
    if (!url) return Promise.resolve();
    return json(url + "?level=" + level + "&zoom=12").then(function (fc) {
      L.geoJSON(fc, {
        pane: "cm-outlines", interactive: false, style: style,
        onEachFeature: function (f, layer) {
          var b = layer.getBounds();
          if (!f.properties || !f.properties.name || !b.isValid()) return;
          L.tooltip({permanent: true, direction: "center", className: "cases-map-label " + labelClass,
                     interactive: false}).setLatLng(b.getCenter()).setContent(String(f.properties.name)
                     .replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; })).addTo(map);
        }
      }).addTo(map);
    }).catch(function () { /* orientation only */ });
  }

  json(el.getAttribute("data-url"))
    .catch(function () { return {features: []}; })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          var c = COLOURS[f.properties.colour] || COLOURS.grey;
          return L.circleMarker(latlng, {radius: f.properties.supervision ? 9 : 6, color: c, fillColor: c, fillOpacity: 0.7});
        },
        onEachFeature: function (f, l) {
          var a = document.createElement("a");
          a.href = f.properties.url;
          a.textContent = "#" + f.properties.id + " " + f.properties.category;
          l.bindPopup(a);
        }
      }).addTo(map);
      if (fc.features.length) map.fitBounds(layer.getBounds(), {maxZoom: 15});
      el.setAttribute("data-ready", "true");
      return outlines(6, {color: "#1d2733", weight: 3, opacity: 0.9, fill: false, className: "cases-map-district"},
                      "cases-map-label-district")
        .then(function () {
          return outlines(9, {color: "#1f3f6e", weight: 1.5, opacity: 0.9, dashArray: "6 4", fill: false,
                              className: "cases-map-street"}, "cases-map-label-street");
        })
        .then(function () { el.setAttribute("data-outlines", "true"); });
    });
})();

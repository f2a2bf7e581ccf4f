/* Open-cases map: points from data-url (GeoJSON), coloured by the running stage's deadline. */
(function () {
  "use strict";
  var el = document.getElementById("cases-map");
  if (!el || !window.L) return;
  var COLOURS = {green: "#2e7d32", yellow: "#e0a800", red: "#b3261e", grey: "#777"};
  var map = L.map(el).setView([31.2304, 121.4737], 14);
  window.gridgovCasesMap = map;
  fetch(el.getAttribute("data-url"), {credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : {features: []}; })
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
      if (fc.features.length) map.fitBounds(layer.getBounds(), {maxZoom: 16});
      el.setAttribute("data-ready", "true");
    })
    .catch(function () { el.setAttribute("data-ready", "true"); });
})();

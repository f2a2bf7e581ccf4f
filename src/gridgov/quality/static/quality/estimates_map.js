/* The estimates map: areas coloured by the registration-rate label (达标/未达标/不确定). Every word
   comes from data-* attributes of #q-map (translated in the template). */
(function () {
  "use strict";
  var el = document.getElementById("q-map");
  if (!el || typeof L === "undefined") { return; }
  var colours = { met: "#1e7b34", not_met: "#b3261e", uncertain: "#d99a00", undefined: "#8a8a8a" };
  var map = L.map(el, { zoomControl: true, attributionControl: false });
  map.setView([31.23, 121.47], 13);
  function pct(v) { return v === null || v === undefined ? "—" : (100 * v).toFixed(1) + "%"; }
  function line(label, r) {
    if (!r) { return ""; }
    return label + " " + pct(r.estimate) + " (" + pct(r.ci_low) + " ~ " + pct(r.ci_high) + ") " +
      (el.dataset["label" + r.status.charAt(0).toUpperCase() + r.status.slice(1)] || el.getAttribute("data-label-" + r.status));
  }
  fetch(el.dataset.geojson, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var layer = L.geoJSON(data, {
      style: function (f) {
        var c = colours[f.properties.status] || colours.undefined;
        return { color: "#333", weight: 1, fillColor: c, fillOpacity: 0.55 };
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties, box = document.createElement("div"), title = document.createElement("strong");
        title.textContent = (p.name || p.area) + " ";
        box.appendChild(title);
        [line(el.getAttribute("data-label-registration"), p.registration),
         line(el.getAttribute("data-label-accuracy"), p.accuracy),
         p.registration ? el.getAttribute("data-label-houses") + " " + p.registration.houses_visited : ""]
          .forEach(function (t) { if (t) { var d = document.createElement("div"); d.textContent = t; box.appendChild(d); } });
        lyr.bindPopup(box);
      }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
  });
})();

/* Command screen (templates/command/screen.html). Plain ES2017, Leaflet 1.9, no inline script.
 *
 * The map (#command-map, data-map-url) draws one JSON document (command.screen.map_layers):
 *   subareas  polygons of the areas one level down, filled by the week's highest warning level;
 *             a click opens the area's screen (its url) — the drill-down;
 *   cases     open events clustered by community or grid on the server: [lon, lat, n, overdue, code];
 *   warnings  the week's warnings at their area's centre: [lon, lat, level, code];
 *   hotspots  the latest reported hotspots at their grid's centre: [lon, lat, kind, code] (off by default).
 * Every data-refresh seconds the live part (#command-live, data-live-url: tiles, actions, areas) is
 * replaced by the server's HTML and the map layers are fetched again; no full reload.
 * data-ready="true" on the map once drawn. Strings from #command-i18n.
 */
(function () {
  "use strict";
  var I18N = {};
  try { I18N = JSON.parse(document.getElementById("command-i18n").textContent); } catch (e) { /* keys shown */ }
  function t(key) { return Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : key; }
  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var live = document.getElementById("command-live");
  var el = document.getElementById("command-map");
  var refresh = Math.max(10, parseInt((live && live.getAttribute("data-refresh")) || "60", 10)) * 1000;

  async function refreshLive() {
    if (!live) return;
    try {
      var resp = await fetch(live.getAttribute("data-live-url"), { credentials: "same-origin" });
      if (resp.ok) live.innerHTML = await resp.text();  // server-rendered, escaped by Django templates
    } catch (e) { /* keep the last figures; the next round retries */ }
  }

  var map = null;
  var layers = {};
  var fitted = false;

  function colourOf(level, colours) { return colours[String(level)] || "#8a96a3"; }

  function draw(data) {
    var colours = data.level_colours || {};
    Object.keys(layers).forEach(function (k) { map.removeLayer(layers[k]); });
    layers.subareas = L.geoJSON(data.subareas, {
      style: function (f) {
        var p = f.properties || {};
        return { color: "#1f3f6e", weight: 1.2, opacity: 0.9, fillColor: p.colour, fillOpacity: p.level ? 0.45 : 0.12,
                 className: "cmd-area" };
      },
      onEachFeature: function (f, layer) {
        var p = f.properties || {};
        var html = "<strong>" + esc(p.name) + "</strong> <code>" + esc(p.code) + "</code><br>" + esc(t("open")) + ": " +
          esc(p.open) + " · " + esc(t("overdue")) + ": " + esc(p.overdue) + "<br>" + esc(t("warning")) + ": " +
          esc((I18N.levels || {})[String(p.level)] || p.level);
        if (p.url) html += '<br><a href="' + esc(p.url) + '">' + esc(t("screen")) + "</a>";
        layer.bindTooltip(esc(p.name), { sticky: true });
        layer.bindPopup(html);
        if (p.url) layer.on("dblclick", function () { window.location.href = p.url; });
      }
    });
    layers.cases = L.layerGroup((data.cases || []).map(function (c) {
      var size = Math.round(22 + Math.min(26, Math.sqrt(c[2]) * 3));
      var icon = L.divIcon({ className: "", iconSize: [size, size],
        html: '<div class="cmd-cluster' + (c[3] ? " has-overdue" : "") + '">' + esc(c[2]) + "</div>" });
      var m = L.marker([c[1], c[0]], { icon: icon, keyboard: false });
      m.bindTooltip(esc(c[2]) + " " + esc(t("events")) + (c[3] ? " · " + esc(t("overdue")) + " " + esc(c[3]) : ""));
      m.on("add", function () {
        var node = m.getElement() && m.getElement().firstChild;
        if (node) { node.style.width = size + "px"; node.style.height = size + "px"; }
      });
      return m;
    }));
    layers.warnings = L.layerGroup((data.warnings || []).map(function (w) {
      return L.circleMarker([w[1], w[0]], { radius: 7, color: "#1d2733", weight: 1, fillColor: colourOf(w[2], colours),
        fillOpacity: 0.95 }).bindTooltip(esc(t("warning")) + ": " + esc((I18N.levels || {})[String(w[2])] || w[2]) +
        " <code>" + esc(w[3]) + "</code>");
    }));
    layers.hotspots = L.layerGroup((data.hotspots || []).map(function (h) {
      var hot = String(h[2]).indexOf("hot") === 0;
      return L.circleMarker([h[1], h[0]], { radius: 6, color: hot ? "#8c0015" : "#1f4fa8", weight: 2,
        fillColor: hot ? "#e4572e" : "#5b8fd9", fillOpacity: 0.9 }).bindTooltip(esc(t(hot ? "hotspot" : "coldspot")) +
        " <code>" + esc(h[3]) + "</code>");
    }));
    layers.subareas.addTo(map);
    document.querySelectorAll("input[data-layer]").forEach(function (box) {
      var layer = layers[box.getAttribute("data-layer")];
      if (layer && box.checked) layer.addTo(map);
    });
    if (!fitted) {
      var b = data.bbox;
      if (b) map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
      else if (layers.subareas.getLayers().length) map.fitBounds(layers.subareas.getBounds());
      fitted = true;
    }
    el.setAttribute("data-ready", "true");
  }

  async function refreshMap() {
    if (!map) return;
    try {
      var resp = await fetch(el.getAttribute("data-map-url"), { credentials: "same-origin",
                                                                headers: { Accept: "application/json" } });
      if (resp.ok) draw(await resp.json());
    } catch (e) { /* keep the last layers */ }
  }

  if (el && window.L) {
    map = L.map(el, { minZoom: 8, maxZoom: 19 }).setView([31.2304, 121.4737], 12);
    document.querySelectorAll("input[data-layer]").forEach(function (box) {
      box.addEventListener("change", function () {
        var layer = layers[box.getAttribute("data-layer")];
        if (!layer) return;
        if (box.checked) layer.addTo(map); else map.removeLayer(layer);
      });
    });
    refreshMap();
  }
  window.setInterval(function () { refreshLive(); refreshMap(); }, refresh);
})();

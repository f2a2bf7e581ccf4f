/* gridgov grid map (templates/geo/map.html). Plain ES2017, no build step; needs Leaflet 1.9 (L).
 *
 * Data comes from the geo API (data-api-base on #map, e.g. /api/v1/geo), per visible layer and
 * zoom: divisions at level 6 (districts, any zoom), 9 (streets/towns, zoom >= 11) and 12
 * (communities, zoom >= 13), and unit grids from zoom 14 only. Every move reloads the visible
 * layers after a short debounce; a newer request aborts the older one of the same layer
 * (AbortController). Responses are cached per (layer, zoom, tile-aligned bbox) for a few minutes.
 * User-visible strings come from the JSON block #map-i18n (translated by Django); none live here.
 * See docs/map.md.
 */
(function () {
  "use strict";

  var mapEl = document.getElementById("map");
  if (!mapEl || !window.L) return;

  // ---------------------------------------------------------------- configuration
  var GRID_MIN_ZOOM = 14;
  var FALLBACK_CENTER = [31.2304, 121.4737]; // People's Square (lat, lon)
  var FALLBACK_ZOOM = 13;
  var MOVE_DEBOUNCE_MS = 250;
  var SEARCH_DEBOUNCE_MS = 300;
  var STATUS_DELAY_MS = 250;
  var CACHE_MAX = 40;
  var CACHE_TTL_MS = 5 * 60 * 1000;
  var JURISDICTION_TIMEOUT_MS = 10000;
  var NARROW = "(max-width: 760px)";

  var LAYERS = [
    { key: "districts", label: "layerDistricts", endpoint: "layers/divisions", level: 6, minZoom: 0,
      zIndex: 410, kind: "division",
      style: { color: "#b3261e", weight: 3, opacity: 0.9, fillColor: "#b3261e", fillOpacity: 0.04 } },
    { key: "streets", label: "layerStreets", endpoint: "layers/divisions", level: 9, minZoom: 11,
      zIndex: 420, kind: "division",
      style: { color: "#1f5fa8", weight: 2, opacity: 0.9, fillColor: "#1f5fa8", fillOpacity: 0.04 } },
    { key: "communities", label: "layerCommunities", endpoint: "layers/divisions", level: 12, minZoom: 13,
      zIndex: 430, kind: "division",
      style: { color: "#2e7d32", weight: 1.5, opacity: 0.9, dashArray: "5 3", fillColor: "#2e7d32", fillOpacity: 0.04 } },
    { key: "grids", label: "layerGrids", endpoint: "layers/grids", level: null, minZoom: GRID_MIN_ZOOM,
      zIndex: 440, kind: "grid",
      style: { color: "#c26a00", weight: 1, opacity: 0.9, fillColor: "#f2a541", fillOpacity: 0.18 } }
  ];
  var JURISDICTION_STYLE = { color: "#1d2733", weight: 4, opacity: 0.85, dashArray: "10 8", fill: false };

  var apiBase = (mapEl.getAttribute("data-api-base") || "/api/v1/geo").replace(/\/+$/, "");
  var I18N = readJSON("map-i18n") || {};
  var numberFormat = makeNumberFormat(document.documentElement.lang);

  // ---------------------------------------------------------------- small helpers
  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }

  function makeNumberFormat(lang) {
    try { return new Intl.NumberFormat(lang || undefined); } catch (e) { return new Intl.NumberFormat(); }
  }

  /** Translated string `key`, with {name} placeholders filled from `params`. */
  function t(key, params) {
    var s = Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : key;
    if (params) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m;
      });
    }
    return s;
  }

  function escapeHtml(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function byTestId(id) { return document.querySelector('[data-testid="' + id + '"]'); }

  function debounce(fn, ms) {
    var timer = null;
    var wrapped = function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
    wrapped.cancel = function () { clearTimeout(timer); };
    return wrapped;
  }

  function isAbort(err) { return err && err.name === "AbortError"; }

  /** GET a JSON document; a non-2xx answer throws an Error with .status and .body. */
  async function getJSON(url, signal) {
    var resp = await fetch(url, { signal: signal, credentials: "same-origin",
                                  headers: { Accept: "application/json" } });
    if (!resp.ok) {
      var body = null;
      try { body = await resp.json(); } catch (e) { /* not JSON */ }
      var message = body && body.error && (body.error.message || body.error.code);
      var err = new Error(message || "HTTP " + resp.status);
      err.status = resp.status;
      err.body = body;
      throw err;
    }
    return resp.json();
  }

  function isAuthError(err) { return err && (err.status === 401 || err.status === 403); }

  // bbox = [minlon, minlat, maxlon, maxlat]
  function boundsToBbox(b) { return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }

  /** Grow `bbox` outwards to a tile-sized lattice, so small pans reuse the same request. */
  function snapBbox(bbox, zoom) {
    var step = 360 / Math.pow(2, zoom); // one 256-px tile at this zoom, in degrees of longitude
    return [
      Math.max(-180, Math.floor(bbox[0] / step) * step), Math.max(-85, Math.floor(bbox[1] / step) * step),
      Math.min(180, Math.ceil(bbox[2] / step) * step), Math.min(85, Math.ceil(bbox[3] / step) * step)
    ];
  }

  function bboxParam(bbox) { return bbox.map(function (v) { return v.toFixed(6); }).join(","); }

  function bboxContains(outer, inner) {
    return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
  }

  // ---------------------------------------------------------------- response cache
  var cache = new Map(); // key -> {layer, zoom, bbox, data, time}

  function cacheFind(layerKey, zoom, view) {
    var now = Date.now();
    var found = null;
    cache.forEach(function (entry, key) {
      if (now - entry.time > CACHE_TTL_MS) { cache.delete(key); return; }
      if (!found && entry.layer === layerKey && entry.zoom === zoom && bboxContains(entry.bbox, view)) {
        found = { key: key, entry: entry };
      }
    });
    if (!found) return null;
    cache.delete(found.key); // most recently used goes last
    cache.set(found.key, found.entry);
    return found.entry.data;
  }

  function cachePut(layerKey, zoom, bbox, data) {
    var key = layerKey + "|" + zoom + "|" + bboxParam(bbox);
    cache.delete(key);
    cache.set(key, { layer: layerKey, zoom: zoom, bbox: bbox, data: data, time: Date.now() });
    while (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value);
  }

  // ---------------------------------------------------------------- the map
  var map = L.map(mapEl, { minZoom: 7, maxZoom: 19, zoomSnap: 1, zoomControl: true,
                           attributionControl: true, preferCanvas: false });
  window.gridgovMap = map; // for tests and debugging

  function makePane(name, zIndex) {
    var pane = map.createPane(name);
    pane.style.zIndex = String(zIndex);
    return L.svg({ pane: name, padding: 0.2 }); // SVG so polygons are DOM elements
  }

  var gridsDef = null;
  LAYERS.forEach(function (def) {
    var paneName = "gg-" + def.key;
    var renderer = makePane(paneName, def.zIndex);
    def.byCode = new Map();
    def.zoom = null;
    def.ctrl = null;
    def.group = L.geoJSON(null, {
      pane: paneName,
      renderer: renderer,
      className: def.kind === "grid" ? "grid-polygon" : "division-path division-level-" + def.level,
      style: function () { return def.style; },
      onEachFeature: function (feature, layer) { onEachFeature(def, feature, layer); }
    });
    def.group.addTo(map);
    if (def.kind === "grid") gridsDef = def;
  });

  var jurisdictionRenderer = makePane("gg-jurisdiction", 450);
  var jurisdictionLayer = L.geoJSON(null, {
    pane: "gg-jurisdiction", renderer: jurisdictionRenderer, interactive: false,
    className: "jurisdiction-outline", style: function () { return JURISDICTION_STYLE; }
  }).addTo(map);

  function featureCode(feature, index) {
    var p = feature.properties || {};
    return p.code != null ? String(p.code) : "#" + index;
  }

  function onEachFeature(def, feature, layer) {
    var p = feature.properties || {};
    var code = feature.ggKey || featureCode(feature, def.byCode.size);
    def.byCode.set(code, layer);
    layer.bindTooltip(escapeHtml(p.name || "") + " <code>" + escapeHtml(p.code || "") + "</code>",
                      { sticky: true, direction: "top", opacity: 0.95 });
    if (def.kind === "grid") {
      layer.on("click", function (e) {
        L.DomEvent.stopPropagation(e);
        selectGrid(code);
      });
    } else {
      // Drill down: a click on a division zooms to it when that brings the map closer.
      layer.on("click", function (e) {
        L.DomEvent.stopPropagation(e);
        var b = layer.getBounds();
        if (b.isValid() && map.getBoundsZoom(b) > map.getZoom()) map.fitBounds(b, { padding: [20, 20] });
      });
    }
  }

  // ---------------------------------------------------------------- controls: layers and legend
  var overlays = {};
  LAYERS.forEach(function (def) {
    var name = escapeHtml(t(def.label));
    if (def.minZoom > 0) name += " <small>(" + escapeHtml(t("fromZoom", { zoom: def.minZoom })) + ")</small>";
    overlays[name] = def.group;
  });
  overlays[escapeHtml(t("layerJurisdiction"))] = jurisdictionLayer;
  L.control.layers(null, overlays, { collapsed: window.matchMedia(NARROW).matches, position: "topright" })
    .addTo(map);

  var legendItems = [];
  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "map-legend");
    div.setAttribute("data-testid", "map-legend");
    var h = L.DomUtil.create("h3", "", div);
    h.textContent = t("legend");
    var ul = L.DomUtil.create("ul", "", div);
    LAYERS.forEach(function (def) {
      var li = L.DomUtil.create("li", "", ul);
      var sw = L.DomUtil.create("span", "swatch", li);
      sw.style.borderColor = def.style.color;
      sw.style.background = hexToRgba(def.style.fillColor, Math.max(def.style.fillOpacity, 0.15));
      if (def.style.dashArray) sw.classList.add("dashed");
      var label = L.DomUtil.create("span", "", li);
      label.textContent = t(def.label);
      if (def.minZoom > 0) {
        var small = L.DomUtil.create("small", "", li);
        small.textContent = "(" + t("fromZoom", { zoom: def.minZoom }) + ")";
      }
      legendItems.push({ def: def, li: li });
    });
    var li = L.DomUtil.create("li", "", ul);
    var sw = L.DomUtil.create("span", "swatch dashed", li);
    sw.style.borderColor = JURISDICTION_STYLE.color;
    L.DomUtil.create("span", "", li).textContent = t("layerJurisdiction");
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  legend.addTo(map);

  function hexToRgba(hex, alpha) {
    var m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
    if (!m) return "transparent";
    return "rgba(" + parseInt(m[1], 16) + "," + parseInt(m[2], 16) + "," + parseInt(m[3], 16) + "," + alpha + ")";
  }

  function updateLegend() {
    var zoom = map.getZoom();
    legendItems.forEach(function (item) {
      var on = map.hasLayer(item.def.group) && zoom >= item.def.minZoom;
      item.li.classList.toggle("is-off", !on);
    });
  }

  // ---------------------------------------------------------------- notices
  var statusEl = byTestId("map-status");
  var gridHintEl = byTestId("grid-hint");
  var zoomNoticeEl = byTestId("zoom-notice");
  var pending = 0;
  var statusTimer = null;
  var lastError = null;

  function show(el, text, cls) {
    if (!el) return;
    el.textContent = text;
    el.className = el.className.replace(/\s*is-error/g, "") + (cls ? " " + cls : "");
    el.hidden = false;
  }
  function hide(el) { if (el) el.hidden = true; }

  function renderStatus() {
    if (lastError) show(statusEl, lastError, "is-error");
    else if (pending > 0) show(statusEl, t("loading"));
    else hide(statusEl);
  }
  function beginLoad() {
    pending += 1;
    if (!statusTimer) statusTimer = setTimeout(function () { statusTimer = null; renderStatus(); }, STATUS_DELAY_MS);
  }
  function endLoad() {
    pending = Math.max(0, pending - 1);
    if (pending === 0) {
      clearTimeout(statusTimer);
      statusTimer = null;
      renderStatus();
    }
  }

  function updateGridHint() {
    if (map.hasLayer(gridsDef.group) && map.getZoom() < GRID_MIN_ZOOM) {
      show(gridHintEl, t("gridHint", { zoom: GRID_MIN_ZOOM }));
    } else {
      hide(gridHintEl);
    }
  }

  function updateTruncated(fc) {
    if (!fc || !fc.truncated) { hide(zoomNoticeEl); return; }
    var shown = (fc.features || []).length;
    if (typeof fc.total === "number") {
      show(zoomNoticeEl, t("truncated", { shown: numberFormat.format(shown), total: numberFormat.format(fc.total) }));
    } else {
      show(zoomNoticeEl, t("truncatedNoTotal"));
    }
  }

  // ---------------------------------------------------------------- loading the layers
  function abortLayer(def) {
    if (def.ctrl) { def.ctrl.abort(); def.ctrl = null; }
  }

  function clearLayer(def) {
    def.group.clearLayers();
    def.byCode.clear();
    def.zoom = null;
    if (def === gridsDef) { updateTruncated(null); markedEl = null; }
  }

  /** Show `fc` in the layer: keep features already drawn at this zoom, add new ones, drop the rest. */
  function render(def, fc, zoom) {
    if (def.zoom !== zoom) {
      def.group.clearLayers();
      def.byCode.clear();
      def.zoom = zoom;
      if (def === gridsDef) markedEl = null;
    }
    var features = (fc && Array.isArray(fc.features)) ? fc.features : [];
    var keep = new Set();
    var fresh = [];
    features.forEach(function (f, i) {
      var code = featureCode(f, i);
      keep.add(code);
      if (!def.byCode.has(code)) { f.ggKey = code; fresh.push(f); }
    });
    def.byCode.forEach(function (layer, code) {
      if (!keep.has(code)) { def.group.removeLayer(layer); def.byCode.delete(code); }
    });
    if (fresh.length) def.group.addData({ type: "FeatureCollection", features: fresh });
    if (def === gridsDef) { updateTruncated(fc); markSelected(); }
  }

  async function refreshLayer(def) {
    var zoom = Math.round(map.getZoom());
    if (!map.hasLayer(def.group) || zoom < def.minZoom) {
      abortLayer(def);
      clearLayer(def);
      return;
    }
    var view = boundsToBbox(map.getBounds());
    abortLayer(def);
    var cached = cacheFind(def.key, zoom, view);
    if (cached) { render(def, cached, zoom); return; }

    var bbox = snapBbox(view, zoom);
    var params = "bbox=" + bboxParam(bbox) + "&zoom=" + zoom;
    if (def.level != null) params = "level=" + def.level + "&" + params;
    var ctrl = new AbortController();
    def.ctrl = ctrl;
    beginLoad();
    try {
      var fc = await getJSON(apiBase + "/" + def.endpoint + "?" + params, ctrl.signal);
      cachePut(def.key, zoom, bbox, fc);
      if (def.ctrl === ctrl) render(def, fc, zoom);
    } catch (err) {
      if (!isAbort(err)) {
        lastError = isAuthError(err) ? t("sessionExpired") : t("loadError");
        if (window.console) console.warn("gridgov map: loading " + def.key + " failed:", err);
      }
    } finally {
      if (def.ctrl === ctrl) def.ctrl = null;
      endLoad();
    }
  }

  function refreshAll() {
    lastError = null;
    renderStatus();
    LAYERS.forEach(function (def) { refreshLayer(def); });
    updateGridHint();
    updateLegend();
  }
  var scheduleRefresh = debounce(refreshAll, MOVE_DEBOUNCE_MS);

  map.on("moveend", scheduleRefresh);
  map.on("zoomend", function () { updateGridHint(); updateLegend(); });
  map.on("overlayadd overlayremove", scheduleRefresh);

  // ---------------------------------------------------------------- grid detail panel
  var placeholderEl = byTestId("grid-placeholder");
  var panelEl = byTestId("grid-panel");
  var messageEl = byTestId("grid-message");
  var fieldsEl = byTestId("grid-fields");
  var closeEl = byTestId("grid-panel-close");
  var selectedCode = null;
  var markedEl = null;
  var detailCtrl = null;

  function markSelected() {
    if (markedEl) markedEl.classList.remove("is-selected");
    markedEl = null;
    var layer = selectedCode ? gridsDef.byCode.get(selectedCode) : null;
    var el = layer && layer.getElement ? layer.getElement() : null;
    if (el) {
      el.classList.add("is-selected");
      markedEl = el;
      layer.bringToFront();
    }
  }

  function setText(testId, text) {
    var el = byTestId(testId);
    if (el) el.textContent = text == null || text === "" ? "—" : String(text);
  }

  function setDivision(testId, division) {
    var el = byTestId(testId);
    if (!el) return;
    el.textContent = "";
    if (!division || (!division.name && !division.code)) { el.textContent = "—"; return; }
    el.appendChild(document.createTextNode(division.name || ""));
    if (division.code) {
      var sub = document.createElement("code");
      sub.className = "sub";
      sub.textContent = division.code;
      el.appendChild(sub);
    }
  }

  function setMessage(text, isError) {
    if (!messageEl) return;
    if (!text) { messageEl.hidden = true; return; }
    messageEl.textContent = text;
    messageEl.classList.toggle("is-error", !!isError);
    messageEl.hidden = false;
  }

  function openPanel() {
    if (placeholderEl) placeholderEl.hidden = true;
    if (panelEl) panelEl.hidden = false;
    if (panelEl && window.matchMedia(NARROW).matches && panelEl.scrollIntoView) {
      panelEl.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  }

  function closePanel() {
    if (detailCtrl) { detailCtrl.abort(); detailCtrl = null; }
    selectedCode = null;
    markSelected();
    if (panelEl) panelEl.hidden = true;
    if (placeholderEl) placeholderEl.hidden = false;
  }

  function fillPanel(d) {
    setText("grid-code", d.code);
    setText("grid-name", d.name);
    setText("grid-kind", d.kind_display || d.kind);
    setDivision("grid-community", d.community);
    setDivision("grid-street", d.township);
    setDivision("grid-district", d.district);
    setText("grid-area", typeof d.area_m2 === "number"
      ? numberFormat.format(Math.round(d.area_m2)) + " " + t("areaUnit") : null);
    var ul = byTestId("grid-workers");
    if (ul) {
      ul.textContent = "";
      var workers = Array.isArray(d.workers) ? d.workers : [];
      if (!workers.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = t("noWorkers");
        ul.appendChild(none);
      }
      workers.forEach(function (w) {
        var li = document.createElement("li");
        li.textContent = (w && (w.display_name || w.username)) || "—";
        ul.appendChild(li);
      });
    }
    if (fieldsEl) fieldsEl.hidden = false;
  }

  async function selectGrid(code) {
    selectedCode = code;
    markSelected();
    openPanel();
    if (fieldsEl) fieldsEl.hidden = true;
    setMessage(t("gridLoading"));
    if (detailCtrl) detailCtrl.abort();
    var ctrl = new AbortController();
    detailCtrl = ctrl;
    try {
      var d = await getJSON(apiBase + "/grids/" + encodeURIComponent(code), ctrl.signal);
      if (detailCtrl !== ctrl) return;
      setMessage(null);
      fillPanel(d);
    } catch (err) {
      if (isAbort(err) || detailCtrl !== ctrl) return;
      setMessage(err.status === 404 ? t("gridNotVisible") : isAuthError(err) ? t("sessionExpired") : t("gridError"),
                 true);
    } finally {
      if (detailCtrl === ctrl) detailCtrl = null;
    }
  }

  if (closeEl) closeEl.addEventListener("click", closePanel);

  // ---------------------------------------------------------------- search
  var searchForm = document.querySelector(".map-search");
  var searchInput = byTestId("map-search");
  var resultsEl = byTestId("map-search-results");
  var searchCtrl = null;
  var lastResults = [];
  var lastQuery = "";

  function levelOf(r) {
    if (typeof r.level === "number") return r.level;
    return r.code ? String(r.code).length : null;
  }

  function hideResults() { if (resultsEl) resultsEl.hidden = true; }

  function resultButtons() { return resultsEl ? Array.prototype.slice.call(resultsEl.querySelectorAll("button")) : []; }

  function showResultsMessage(text) {
    if (!resultsEl) return;
    resultsEl.textContent = "";
    var li = document.createElement("li");
    li.className = "map-search-empty";
    li.setAttribute("data-testid", "map-search-empty");
    li.textContent = text;
    resultsEl.appendChild(li);
    resultsEl.hidden = false;
  }

  function showResults(results) {
    lastResults = results;
    if (!resultsEl) return;
    if (!results.length) { showResultsMessage(t("searchNone")); return; }
    resultsEl.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "map-search-result";
      btn.setAttribute("data-testid", "map-search-result");
      btn.setAttribute("data-code", r.code);
      var name = document.createElement("span");
      name.className = "r-name";
      name.textContent = r.name || r.code;
      var level = document.createElement("span");
      level.className = "r-level";
      level.textContent = t("level" + levelOf(r));
      var code = document.createElement("code");
      code.textContent = r.code;
      btn.appendChild(name);
      btn.appendChild(level);
      btn.appendChild(code);
      btn.addEventListener("click", function () { chooseResult(r); });
      li.appendChild(btn);
      resultsEl.appendChild(li);
    });
    resultsEl.hidden = false;
  }

  async function runSearch(query, chooseExact) {
    var q = (query || "").trim();
    if (searchCtrl) { searchCtrl.abort(); searchCtrl = null; }
    if (!q) { lastResults = []; lastQuery = ""; hideResults(); return; }
    var ctrl = new AbortController();
    searchCtrl = ctrl;
    showResultsMessage(t("searching"));
    try {
      var data = await getJSON(apiBase + "/search?q=" + encodeURIComponent(q), ctrl.signal);
      if (searchCtrl !== ctrl) return;
      var results = (data && Array.isArray(data.results)) ? data.results : [];
      lastQuery = q;
      showResults(results);
      if (chooseExact) {
        var exact = results.filter(function (r) { return String(r.code) === q; })[0];
        if (results.length) chooseResult(exact || results[0]);
      }
    } catch (err) {
      if (isAbort(err)) return;
      showResultsMessage(isAuthError(err) ? t("sessionExpired") : t("searchError"));
    } finally {
      if (searchCtrl === ctrl) searchCtrl = null;
    }
  }
  var searchSoon = debounce(function () { runSearch(searchInput.value, false); }, SEARCH_DEBOUNCE_MS);

  function chooseResult(r) {
    hideResults();
    var b = r.bbox;
    var isGrid = levelOf(r) >= 15;
    if (Array.isArray(b) && b.length === 4 && b.every(function (v) { return typeof v === "number" && isFinite(v); })) {
      var bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
      var zoom = map.getBoundsZoom(bounds, false, L.point(40, 40));
      zoom = Math.min(zoom, isGrid ? 17 : 16);
      if (isGrid) zoom = Math.max(zoom, GRID_MIN_ZOOM); // a grid result must show the grid layer
      map.setView(bounds.getCenter(), zoom);
    }
    if (isGrid) selectGrid(String(r.code));
  }

  if (searchForm && searchInput) {
    searchInput.addEventListener("input", searchSoon);
    searchForm.addEventListener("submit", function (e) {
      e.preventDefault();
      searchSoon.cancel();
      var q = searchInput.value.trim();
      if (q && q === lastQuery && lastResults.length && resultsEl && !resultsEl.hidden) {
        var exact = lastResults.filter(function (r) { return String(r.code) === q; })[0];
        chooseResult(exact || lastResults[0]);
      } else {
        runSearch(q, true);
      }
    });
    searchInput.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        var first = resultButtons()[0];
        if (first) { e.preventDefault(); first.focus(); }
      } else if (e.key === "Escape") {
        hideResults();
      }
    });
    searchInput.addEventListener("focus", function () {
      if (lastResults.length && searchInput.value.trim() === lastQuery) showResults(lastResults);
    });
    if (resultsEl) {
      resultsEl.addEventListener("keydown", function (e) {
        var buttons = resultButtons();
        var i = buttons.indexOf(document.activeElement);
        if (e.key === "ArrowDown" && i >= 0 && i < buttons.length - 1) { e.preventDefault(); buttons[i + 1].focus(); }
        else if (e.key === "ArrowUp") { e.preventDefault(); if (i > 0) buttons[i - 1].focus(); else searchInput.focus(); }
        else if (e.key === "Escape") { hideResults(); searchInput.focus(); }
      });
    }
    document.addEventListener("click", function (e) {
      if (!searchForm.contains(e.target)) hideResults();
    });
  }

  // ---------------------------------------------------------------- start: fit the jurisdiction
  async function start() {
    var bounds = null;
    var ctrl = new AbortController();
    var timer = setTimeout(function () { ctrl.abort(); }, JURISDICTION_TIMEOUT_MS);
    try {
      var fc = await getJSON(apiBase + "/jurisdiction", ctrl.signal);
      if (fc && Array.isArray(fc.features) && fc.features.length) {
        jurisdictionLayer.addData(fc);
        var b = jurisdictionLayer.getBounds();
        if (b.isValid()) bounds = b;
      }
    } catch (err) {
      if (isAuthError(err)) lastError = t("sessionExpired");
      if (window.console) console.warn("gridgov map: no jurisdiction outline:", err);
    } finally {
      clearTimeout(timer);
    }
    if (bounds) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 17, animate: false });
    else map.setView(FALLBACK_CENTER, FALLBACK_ZOOM, { animate: false });
    jurisdictionLayer.bringToFront();
    updateGridHint();
    updateLegend();
    renderStatus();
    mapEl.setAttribute("data-ready", "true");
  }

  start();
})();

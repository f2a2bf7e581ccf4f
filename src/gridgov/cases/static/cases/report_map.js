/* Map picker and category filter of the event report form (templates/cases/_report_form.html).
 * Plain ES2017, Leaflet 1.9; no inline script (the pages are CSP-ready).
 *
 * - The map opens on the reporter's jurisdiction (GET {api}/jurisdiction?scope=capture): a grid worker sees the
 *   outline of his own grid, highlighted. Grid outlines of the view are drawn from zoom 14.
 * - A click/tap drops the pin (draggable); the point is located (GET {api}/locate) and the grid's
 *   name shown (GET {api}/grids/{code}). Longitude/latitude inputs follow the pin, and a typed pair
 *   moves the pin (the typed coordinates stay the fallback when the map cannot load).
 * - "Use my location" asks navigator.geolocation; a refusal or failure shows a Chinese message.
 * - The category filter box narrows the grouped <select> to the matching entries (name, code or
 *   group name); a single match is selected.
 * Strings come from #report-map-i18n. data-ready="true" on the map once the first view is set.
 */
(function () {
  "use strict";

  var I18N = {};
  try { I18N = JSON.parse(document.getElementById("report-map-i18n").textContent); } catch (e) { /* keys shown */ }
  function t(key, params) {
    var s = Object.prototype.hasOwnProperty.call(I18N, key) ? I18N[key] : key;
    if (params) s = s.replace(/\{(\w+)\}/g, function (m, k) { return k in params ? String(params[k]) : m; });
    return s;
  }
  function byTestId(id) { return document.querySelector('[data-testid="' + id + '"]'); }

  // ---------------------------------------------------------------- category filter
  (function categoryFilter() {
    var select = document.getElementById("f-category");
    var box = document.getElementById("f-category-filter");
    var count = byTestId("category-count");
    if (!select || !box) return;
    box.hidden = false; // without this script the plain grouped list stays
    // A copy of the full list: [{label, options: [{value, text}]}]; the first, empty option stays.
    var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (g) {
      return { label: g.label, options: Array.prototype.map.call(g.querySelectorAll("option"), function (o) {
        return { value: o.value, text: o.textContent };
      }) };
    });
    var placeholder = select.querySelector("option[value='']");

    function norm(s) { return String(s || "").toLowerCase().replace(/\s+/g, ""); }

    function apply() {
      var q = norm(box.value);
      var keep = select.value;
      while (select.firstChild) select.removeChild(select.firstChild);
      if (placeholder) select.appendChild(placeholder);
      var n = 0;
      var last = null;
      groups.forEach(function (g) {
        var groupHit = q && norm(g.label).indexOf(q) >= 0;
        var opts = g.options.filter(function (o) {
          return !q || groupHit || norm(o.text).indexOf(q) >= 0 || norm(o.value).indexOf(q) >= 0;
        });
        if (!opts.length) return;
        var og = document.createElement("optgroup");
        og.label = g.label;
        opts.forEach(function (o) {
          var opt = document.createElement("option");
          opt.value = o.value;
          opt.textContent = o.text;
          og.appendChild(opt);
          last = o.value;
          n += 1;
        });
        select.appendChild(og);
      });
      if (n === 1 && q) select.value = last;
      else if (keep && select.querySelector('option[value="' + keep.replace(/"/g, "") + '"]')) select.value = keep;
      else select.value = "";
      if (count) {
        count.hidden = !q;
        count.textContent = n ? t("matches", { n: n }) : t("noMatch");
        count.classList.toggle("is-error", n === 0);
      }
    }
    box.addEventListener("input", apply);
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); select.focus(); } // Enter must not submit the report
    });
  })();

  // ---------------------------------------------------------------- map picker
  var el = document.getElementById("report-map");
  var lonIn = document.getElementById("f-lon");
  var latIn = document.getElementById("f-lat");
  var placeEl = byTestId("report-place");
  var errEl = byTestId("locate-error");
  var locateBtn = document.querySelector("[data-locate]");
  if (!el || !lonIn || !latIn) return;
  if (!window.L) { el.hidden = true; return; } // typed coordinates remain

  var api = (el.getAttribute("data-api-base") || "/api/v1/geo").replace(/\/+$/, "");
  var FALLBACK = [31.2304, 121.4737];
  var GRID_ZOOM = 14;

  async function getJSON(url, signal) {
    var resp = await fetch(url, { credentials: "same-origin", signal: signal, headers: { Accept: "application/json" } });
    if (!resp.ok) { var err = new Error("HTTP " + resp.status); err.status = resp.status; throw err; }
    return resp.json();
  }

  var map = L.map(el, { minZoom: 9, maxZoom: 19, zoomControl: true });
  window.gridgovReportMap = map; // for tests
  // Where the reporter records (capture scope: a grid worker's own grid), highlighted and fitted.
  var mine = L.geoJSON(null, { interactive: false,
                               style: { color: "#1f5fa8", weight: 3, fillColor: "#1f5fa8", fillOpacity: 0.1,
                                        className: "report-my-area" } }).addTo(map);
  var grids = L.geoJSON(null, { interactive: false, className: "report-grid",
                                style: { color: "#c26a00", weight: 1, opacity: 0.7, fill: false } }).addTo(map);
  var chosen = L.geoJSON(null, { interactive: false, className: "report-chosen-grid",
                                 style: { color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.15 } }).addTo(map);
  var chosenCode = null;
  /** Outline the located grid with the grid outlines already drawn (no request of its own). */
  function markChosen() {
    chosen.clearLayers();
    if (!chosenCode) return;
    grids.eachLayer(function (layer) {
      var f = layer.feature;
      if (f && f.properties && String(f.properties.code) === chosenCode) chosen.addData(f);
    });
  }
  var marker = null;

  // grid outlines of the view, from zoom 14 (one request at a time; a newer view aborts the older)
  var gridCtrl = null;
  function refreshGrids() {
    if (gridCtrl) gridCtrl.abort();
    grids.clearLayers();
    var z = Math.round(map.getZoom());
    if (z < GRID_ZOOM) return;
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    gridCtrl = new AbortController();
    getJSON(api + "/layers/grids?bbox=" + bbox + "&zoom=" + z, gridCtrl.signal)
      .then(function (fc) { grids.clearLayers(); grids.addData(fc); markChosen(); })
      .catch(function () { /* outlines are orientation only */ });
  }
  map.on("moveend", refreshGrids);

  function showError(text) {
    if (!errEl) return;
    errEl.textContent = text || "";
    errEl.hidden = !text;
  }

  function setPlace(html, state) {
    if (!placeEl) return;
    placeEl.innerHTML = html;
    placeEl.setAttribute("data-state", state);
  }
  function esc(v) {
    return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var locateCtrl = null;
  var locateSeq = 0;
  /** Locate (lon, lat): show the grid's name (and community, street), outline it. */
  async function locate(lon, lat) {
    if (locateCtrl) locateCtrl.abort();
    locateCtrl = new AbortController();
    var seq = ++locateSeq;
    chosenCode = null;
    chosen.clearLayers();
    el.setAttribute("data-located", "pending");
    setPlace(esc(t("locating")), "pending");
    try {
      var hit = await getJSON(api + "/locate?lon=" + lon.toFixed(6) + "&lat=" + lat.toFixed(6), locateCtrl.signal);
      if (seq !== locateSeq) return;
      if (!hit.grid_code) {
        setPlace(esc(t("outsideGrids")), "outside");
        el.setAttribute("data-located", "none");
        return;
      }
      var g = null;
      try { g = await getJSON(api + "/grids/" + encodeURIComponent(hit.grid_code), locateCtrl.signal); }
      catch (e) { if (e.name === "AbortError") return; /* outside the view scope: the code alone */ }
      if (seq !== locateSeq) return;
      var parts = [];
      if (g && g.township) parts.push(esc(g.township.name));
      if (g && g.community) parts.push(esc(g.community.name));
      var html = esc(t("grid")) + "：<strong data-testid=\"report-grid-name\">" + esc(g ? g.name : hit.grid_code) +
        "</strong> <small><code data-testid=\"report-grid-code\">" + esc(hit.grid_code) + "</code></small>" +
        (parts.length ? " <span class=\"hint\">" + parts.join(" · ") + "</span>" : "");
      if (!hit.in_jurisdiction) html += "<br><span class=\"is-error\">" + esc(t("outsideJurisdiction")) + "</span>";
      setPlace(html, hit.in_jurisdiction ? "grid" : "foreign");
      el.setAttribute("data-located", hit.grid_code);
      chosenCode = hit.grid_code;
      markChosen();
    } catch (e) {
      if (e.name === "AbortError") return;
      setPlace(esc(t("locateFailed")), "error");
      el.setAttribute("data-located", "error");
    }
  }

  function place(latlng, opts) {
    opts = opts || {};
    if (!marker) {
      marker = L.marker(latlng, { draggable: true, autoPan: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng(), { fromDrag: true }); });
    } else if (!opts.fromDrag) {
      marker.setLatLng(latlng);
    }
    if (!opts.fromInputs) {
      lonIn.value = latlng.lng.toFixed(6);
      latIn.value = latlng.lat.toFixed(6);
    }
    if (opts.pan) map.setView(latlng, Math.max(map.getZoom(), 17), { animate: false });
    showError("");
    locate(latlng.lng, latlng.lat);
  }

  map.on("click", function (e) { place(e.latlng); });

  // typed coordinates move the pin (on change, i.e. when the field is left or Enter is pressed)
  function fromInputs() {
    var lon = parseFloat(String(lonIn.value).replace(",", "."));
    var lat = parseFloat(String(latIn.value).replace(",", "."));
    if (!lonIn.value.trim() || !latIn.value.trim()) return;
    if (!isFinite(lon) || !isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) {
      showError(t("badCoords"));
      return;
    }
    place(L.latLng(lat, lon), { fromInputs: true, pan: true });
  }
  lonIn.addEventListener("change", fromInputs);
  latIn.addEventListener("change", fromInputs);

  // "use my location"
  if (locateBtn) {
    locateBtn.addEventListener("click", function () {
      if (!navigator.geolocation) { showError(t("geoUnsupported")); return; }
      showError("");
      locateBtn.disabled = true;
      setPlace(esc(t("geoWaiting")), "pending");
      navigator.geolocation.getCurrentPosition(function (p) {
        locateBtn.disabled = false;
        place(L.latLng(p.coords.latitude, p.coords.longitude), { pan: true });
      }, function (err) {
        locateBtn.disabled = false;
        setPlace(esc(t("noPlace")), "none");
        showError(err && err.code === 1 ? t("geoDenied") : t("geoFailed"));
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // start: the jurisdiction (own grid highlighted), then a pin from the form's values (re-shown form)
  getJSON(api + "/jurisdiction?scope=capture")
    .then(function (fc) { mine.addData(fc); })
    .catch(function () { /* no outline: the fallback view */ })
    .then(function () {
      var b = mine.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [12, 12], maxZoom: 17, animate: false });
      else map.setView(FALLBACK, 14, { animate: false });
      var lon = parseFloat(lonIn.value), lat = parseFloat(latIn.value);
      if (isFinite(lon) && isFinite(lat) && lonIn.value.trim() && latIn.value.trim()) place(L.latLng(lat, lon), { fromInputs: true });
      refreshGrids();
      el.setAttribute("data-ready", "true");
    });
})();

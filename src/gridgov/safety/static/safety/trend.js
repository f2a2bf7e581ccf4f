/* Trend chart (templates/safety/trend.html) with Apache ECharts 5 (vendored, common build).
 * Data: #trend-data {weeks, observed, discovered, expected, threshold, level, method, method_label}.
 * The band between expected and threshold is drawn as a stacked area (lower edge transparent). */
(function () {
  "use strict";
  var el = document.getElementById("trend-chart");
  if (!el || !window.echarts) return;
  function read(id) { try { return JSON.parse(document.getElementById(id).textContent); } catch (e) { return null; } }
  var d = read("trend-data") || {};
  var I18N = read("trend-i18n") || {};
  function t(k) { return Object.prototype.hasOwnProperty.call(I18N, k) ? I18N[k] : k; }
  var LEVELS = ["none", "blue", "yellow", "orange", "red"];
  var COLOURS = ["#9aa5b1", "#1f6fd1", "#f2c200", "#f07c00", "#d7191c"];
  var weeks = d.weeks || [];
  var band = (d.threshold || []).map(function (u, i) {
    var e = d.expected[i];
    return u == null || e == null ? null : Math.max(0, u - e);
  });
  var points = (d.level || []).map(function (lvl, i) {
    return lvl > 0 ? { value: [weeks[i], d.observed[i]], itemStyle: { color: COLOURS[lvl] }, level: lvl } : null;
  }).filter(Boolean);
  var chart = echarts.init(el, null, { renderer: "svg" });
  window.gridgovTrendChart = chart;
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis",
      formatter: function (params) {
        var i = params.length ? params[0].dataIndex : 0;
        var lines = [weeks[i]];
        lines.push(t("observed") + ": " + d.observed[i]);
        if (d.discovered) lines.push(t("discovered") + ": " + d.discovered[i]);
        if (d.expected[i] != null) lines.push(t("expected") + ": " + d.expected[i].toFixed(2));
        if (d.threshold[i] != null) lines.push(t("threshold") + ": " + d.threshold[i].toFixed(1));
        lines.push(t("level") + ": " + t(LEVELS[Math.max(0, d.level[i])]));
        var method = (d.method_label && d.method_label[i]) || (d.method && d.method[i]);
        if (method) lines.push(t("method") + ": " + method);
        return lines.join("<br>");
      } },
    legend: { data: [t("observed"), t("discovered"), t("expected"), t("threshold")] },
    grid: { left: 40, right: 20, top: 40, bottom: 60 },
    xAxis: { type: "category", data: weeks },
    yAxis: { type: "value", minInterval: 1 },
    dataZoom: [{ type: "inside" }, { type: "slider", height: 18 }],
    series: [
      { name: t("expected"), type: "line", data: d.expected, stack: "band", symbol: "none",
        lineStyle: { color: "#2e7d32", width: 2 }, itemStyle: { color: "#2e7d32" } },
      { name: t("threshold"), type: "line", data: band, stack: "band", symbol: "none",
        lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(242, 194, 0, 0.25)" }, itemStyle: { color: "#f2c200" } },
      { name: t("observed"), type: "bar", data: d.observed, itemStyle: { color: "#5b6b7c" }, barMaxWidth: 8 },
      { name: t("discovered"), type: "line", data: d.discovered, symbol: "none",
        lineStyle: { type: "dashed", color: "#8e44ad", width: 1 }, itemStyle: { color: "#8e44ad" } },
      { name: t("level"), type: "scatter", data: points, symbolSize: 10, z: 5 }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.setAttribute("data-points", String(weeks.length));
  el.setAttribute("data-ready", "true");
})();

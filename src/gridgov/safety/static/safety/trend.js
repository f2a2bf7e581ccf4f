/* Trend chart (templates/safety/trend.html) with Apache ECharts 5 (vendored, common build) and
 * weekly-chart.js. Data: #trend-data {weeks, observed, discovered, expected, threshold, level,
 * method, method_label}. Levels as coloured points over the observed counts. */
(function () {
  "use strict";
  var el = document.getElementById("trend-chart");
  var W = window.gridgovWeeklyChart;
  if (!el || !window.echarts || !W) return;
  var d = W.read("trend-data") || {};
  var t = W.translator("trend-i18n");
  var LEVELS = ["none", "blue", "yellow", "orange", "red"];
  var COLOURS = ["#9aa5b1", "#1f6fd1", "#f2c200", "#f07c00", "#d7191c"];
  var weeks = d.weeks || [];
  var points = (d.level || []).map(function (lvl, i) {
    return lvl > 0 ? { value: [weeks[i], d.observed[i]], itemStyle: { color: COLOURS[lvl] }, level: lvl } : null;
  }).filter(Boolean);
  window.gridgovTrendChart = W.draw(el, W.options(d, t, {
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
    legend: [t("observed"), t("discovered"), t("expected"), t("threshold")],
    series: [
      { name: t("observed"), type: "bar", data: d.observed, itemStyle: { color: "#5b6b7c" }, barMaxWidth: 8 },
      W.discovered(d, t),
      { name: t("level"), type: "scatter", data: points, symbolSize: 10, z: 5 }
    ]
  }), weeks.length);
})();

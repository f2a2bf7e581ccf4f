/* Effect chart of a special campaign (templates/safety/campaign_detail.html), Apache ECharts 5.
 * Data: #campaign-data {weeks, reported, discovered, expected, threshold, start, end}. */
(function () {
  "use strict";
  var el = document.getElementById("campaign-chart");
  if (!el || !window.echarts) return;
  function read(id) { try { return JSON.parse(document.getElementById(id).textContent); } catch (e) { return null; } }
  var d = read("campaign-data") || {};
  var I18N = read("campaign-i18n") || {};
  function t(k) { return Object.prototype.hasOwnProperty.call(I18N, k) ? I18N[k] : k; }
  var weeks = d.weeks || [];
  var band = (d.threshold || []).map(function (u, i) {
    var e = d.expected[i];
    return u == null || e == null ? null : Math.max(0, u - e);
  });
  var marked = d.start ? [[{ xAxis: d.start, name: t("campaign") }, { xAxis: d.end || weeks[weeks.length - 1] }]] : [];
  var chart = echarts.init(el, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: [t("reported"), t("discovered"), t("expected"), t("threshold")] },
    grid: { left: 40, right: 20, top: 40, bottom: 60 },
    xAxis: { type: "category", data: weeks },
    yAxis: { type: "value", minInterval: 1 },
    dataZoom: [{ type: "inside" }, { type: "slider", height: 18 }],
    series: [
      { name: t("expected"), type: "line", data: d.expected, stack: "band", symbol: "none",
        lineStyle: { color: "#2e7d32", width: 2 }, itemStyle: { color: "#2e7d32" } },
      { name: t("threshold"), type: "line", data: band, stack: "band", symbol: "none",
        lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(242, 194, 0, 0.25)" }, itemStyle: { color: "#f2c200" } },
      { name: t("reported"), type: "bar", data: d.reported, itemStyle: { color: "#5b6b7c" }, barMaxWidth: 8,
        markArea: { silent: true, itemStyle: { color: "rgba(31, 111, 209, 0.10)" }, data: marked } },
      { name: t("discovered"), type: "line", data: d.discovered, symbol: "none",
        lineStyle: { type: "dashed", color: "#8e44ad", width: 1 }, itemStyle: { color: "#8e44ad" } }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
  el.setAttribute("data-points", String(weeks.length));
  el.setAttribute("data-ready", "true");
})();

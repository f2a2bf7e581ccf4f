/* Effect chart of a special campaign (templates/safety/campaign_detail.html), Apache ECharts 5 and
 * weekly-chart.js. Data: #campaign-data {weeks, reported, discovered, expected, threshold, start, end}. */
(function () {
  "use strict";
  var el = document.getElementById("campaign-chart");
  var W = window.gridgovWeeklyChart;
  if (!el || !window.echarts || !W) return;
  var d = W.read("campaign-data") || {};
  var t = W.translator("campaign-i18n");
  var weeks = d.weeks || [];
  var marked = d.start ? [[{ xAxis: d.start, name: t("campaign") }, { xAxis: d.end || weeks[weeks.length - 1] }]] : [];
  W.draw(el, W.options(d, t, {
    tooltip: { trigger: "axis" },
    legend: [t("reported"), t("discovered"), t("expected"), t("threshold")],
    series: [
      { name: t("reported"), type: "bar", data: d.reported, itemStyle: { color: "#5b6b7c" }, barMaxWidth: 8,
        markArea: { silent: true, itemStyle: { color: "rgba(31, 111, 209, 0.10)" }, data: marked } },
      W.discovered(d, t)
    ]
  }), weeks.length);
})();

/* What the weekly charts of safety share (trend.js: a series' trend; campaign.js: a special
 * campaign's effect), Apache ECharts 5: reading the page's JSON, the translation lookup, the band
 * between expected and threshold drawn as a stacked area (lower edge transparent), the axes and
 * the last steps (resize, data-ready for the browser tests). */
(function () {
  "use strict";
  function read(id) { try { return JSON.parse(document.getElementById(id).textContent); } catch (e) { return null; } }
  window.gridgovWeeklyChart = {
    read: read,
    translator: function (id) {
      var I18N = read(id) || {};
      return function (k) { return Object.prototype.hasOwnProperty.call(I18N, k) ? I18N[k] : k; };
    },
    /* The common options; ``series`` after the expected line and the band. */
    options: function (d, t, extra) {
      var weeks = d.weeks || [];
      var band = (d.threshold || []).map(function (u, i) {
        var e = d.expected[i];
        return u == null || e == null ? null : Math.max(0, u - e);
      });
      var options = {
        animation: false,
        tooltip: extra.tooltip,
        legend: { data: extra.legend },
        grid: { left: 40, right: 20, top: 40, bottom: 60 },
        xAxis: { type: "category", data: weeks },
        yAxis: { type: "value", minInterval: 1 },
        dataZoom: [{ type: "inside" }, { type: "slider", height: 18 }],
        series: [
          { name: t("expected"), type: "line", data: d.expected, stack: "band", symbol: "none",
            lineStyle: { color: "#2e7d32", width: 2 }, itemStyle: { color: "#2e7d32" } },
          { name: t("threshold"), type: "line", data: band, stack: "band", symbol: "none",
            lineStyle: { opacity: 0 }, areaStyle: { color: "rgba(242, 194, 0, 0.25)" }, itemStyle: { color: "#f2c200" } }
        ].concat(extra.series)
      };
      return options;
    },
    /* Draw into ``el`` and mark it ready; returns the chart. */
    draw: function (el, options, points) {
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(options);
      window.addEventListener("resize", function () { chart.resize(); });
      el.setAttribute("data-points", String(points));
      el.setAttribute("data-ready", "true");
      return chart;
    },
    discovered: function (d, t) {
      return { name: t("discovered"), type: "line", data: d.discovered, symbol: "none",
        lineStyle: { type: "dashed", color: "#8e44ad", width: 1 }, itemStyle: { color: "#8e44ad" } };
    }
  };
})();

/*
 * Draws the console's charts (kameng/console/charts.py, console/includes/chart.html):
 *
 *   <div class="chart__canvas" data-chart="ID"></div>
 *   <script type="application/json" id="ID">{"kind": "line", "labels": [...], "series": [...]}</script>
 *
 * kinds: line, bar (optionally horizontal), pie. Values arrive as decimal strings.
 * Once drawn, the element gets data-chart-ready="1" (the browser tests wait for it).
 * Charts follow the width of their box (window resize, phone rotation). No globals
 * other than ECharts' own.
 */
(function () {
  "use strict";

  var PALETTE = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];

  function numbers(values) {
    return values.map(function (value) {
      return Number(value);
    });
  }

  function option(spec) {
    var base = { color: PALETTE, animation: false, tooltip: {} };
    if (spec.kind === "pie") {
      base.tooltip = { trigger: "item" };
      base.legend = { bottom: 0, type: "scroll" };
      base.series = [
        {
          type: "pie",
          radius: ["40%", "68%"],
          center: ["50%", "45%"],
          label: { formatter: "{b}: {c}" },
          data: spec.parts.map(function (part) {
            return { name: part.name, value: Number(part.value) };
          })
        }
      ];
      return base;
    }
    var category = { type: "category", data: spec.labels, axisLabel: { hideOverlap: true } };
    var value = { type: "value", minInterval: 1 };
    base.tooltip = { trigger: "axis" };
    base.grid = { left: 8, right: 16, top: spec.series.length > 1 ? 32 : 12, bottom: 8, containLabel: true };
    if (spec.series.length > 1) {
      base.legend = { top: 0, type: "scroll" };
    }
    base.xAxis = spec.horizontal ? value : category;
    base.yAxis = spec.horizontal ? category : value;
    base.series = spec.series.map(function (series) {
      return {
        name: series.name,
        type: spec.kind,
        data: numbers(series.data),
        smooth: spec.kind === "line",
        showSymbol: spec.kind === "line" && series.data.length <= 31,
        barMaxWidth: 28
      };
    });
    return base;
  }

  function draw() {
    if (!window.echarts) {
      return;
    }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var data = document.getElementById(element.getAttribute("data-chart"));
      if (!data || element.getAttribute("data-chart-ready")) {
        return;
      }
      var chart = window.echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option(JSON.parse(data.textContent)));
      element.setAttribute("data-chart-ready", "1");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

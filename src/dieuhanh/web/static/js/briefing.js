// Charts of the monthly briefing; marks the page ready for printing when drawn.
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("briefing-data");
    var data = source ? JSON.parse(source.textContent) : { progress: [], movers: [] };
    var lang = document.documentElement.lang === "en" ? "en" : "vi-VN";
    var fmt = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
    function pct(v) { return fmt.format(v) + "%"; }
    var options = { animation: false, textStyle: { fontFamily: "DejaVu Sans, Arial, sans-serif" } };
    var progressEl = document.getElementById("progress-chart");
    if (progressEl && window.echarts && data.progress.length) {
      var chart = window.echarts.init(progressEl, null, { renderer: "svg" });
      chart.setOption(Object.assign({}, options, {
        grid: { left: 220, right: 40, top: 10, bottom: 30 },
        xAxis: { type: "value", max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); },
                 axisLabel: { formatter: pct } },
        yAxis: { type: "category", inverse: true, data: data.progress.map(function (r) { return r.name; }),
                 axisLabel: { width: 210, overflow: "truncate" } },
        series: [{ type: "bar", data: data.progress.map(function (r) {
          return { value: r.percent, itemStyle: { color: r.colour } };
        }), label: { show: true, position: "right", formatter: function (p) { return pct(p.value); } } }],
        markLine: { data: [{ xAxis: 100 }] }
      }));
    }
    var moversEl = document.getElementById("movers-chart");
    if (moversEl && window.echarts && data.movers.length) {
      var movers = window.echarts.init(moversEl, null, { renderer: "svg" });
      movers.setOption(Object.assign({}, options, {
        grid: { left: 220, right: 40, top: 10, bottom: 30 },
        xAxis: { type: "value", axisLabel: { formatter: pct } },
        yAxis: { type: "category", inverse: true, data: data.movers.map(function (r) { return r.name; }),
                 axisLabel: { width: 210, overflow: "truncate" } },
        series: [{ type: "bar", data: data.movers.map(function (r) {
          return { value: r.percent, itemStyle: { color: r.percent >= 0 ? "#2e7d32" : "#c62828" } };
        }) }]
      }));
    }
    document.body.dataset.ready = "1";
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

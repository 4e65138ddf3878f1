// Indicator detail page: draws the series chart with the bundled Apache ECharts, and submits
// the unit and period pickers as soon as they change. The data comes with the page (the
// chart's data-chart attribute, JSON built by the server), so the chart needs no extra request
// and the page still reads as tables without JavaScript.
(function () {
  "use strict";

  var COLOURS = {
    value: "#b91c1c",
    remapped: "#f59e0b",
    lastYear: "#64748b",
    target: "#1d4ed8"
  };

  function formatter(locale, decimals, minimum) {
    var tag = locale === "vi" ? "vi-VN" : "en-GB";
    var nf = new Intl.NumberFormat(tag, {
      minimumFractionDigits: minimum === undefined ? decimals : minimum,
      maximumFractionDigits: decimals
    });
    return function (value) {
      return value === null || value === undefined || isNaN(value) ? "—" : nf.format(value);
    };
  }

  // The reported values as one series and the re-mapped ones (before the 2025 reform,
  // re-aggregated onto today's units) as another, dashed: a line cannot change its dash half
  // way. The first reported point is repeated in the re-mapped series so the two join up.
  function splitRemapped(values, remapped) {
    var reported = [], mapped = [];
    for (var i = 0; i < values.length; i++) {
      reported.push(remapped[i] ? null : values[i]);
      mapped.push(remapped[i] ? values[i] : null);
    }
    for (var j = 1; j < values.length; j++) {
      if (remapped[j - 1] && !remapped[j] && mapped[j - 1] !== null) {
        mapped[j] = values[j];
      }
    }
    return { reported: reported, mapped: mapped };
  }

  function option(data) {
    var fmt = formatter(data.locale, data.decimals);
    var names = data.names;
    var bar = data.kind === "bar";
    var series = [];
    var hasRemapped = data.remapped.some(function (r) { return r; });
    if (bar) {
      series.push({
        name: names.value, type: "bar", barMaxWidth: 18,
        data: data.values.map(function (v, i) {
          return data.remapped[i]
            ? { value: v, itemStyle: { color: COLOURS.remapped, opacity: 0.75 } }
            : v;
        }),
        itemStyle: { color: COLOURS.value }
      });
      if (hasRemapped) {
        // legend entry only: the re-mapped bars are coloured point by point above
        series.push({ name: names.remapped, type: "bar", data: [], itemStyle: { color: COLOURS.remapped } });
      }
    } else {
      var parts = splitRemapped(data.values, data.remapped);
      series.push({
        name: names.value, type: "line", data: parts.reported, connectNulls: false,
        showSymbol: true, symbolSize: 5, lineStyle: { width: 2.5, color: COLOURS.value },
        itemStyle: { color: COLOURS.value }
      });
      if (hasRemapped) {
        series.push({
          name: names.remapped, type: "line", data: parts.mapped, connectNulls: false,
          showSymbol: true, symbolSize: 5,
          lineStyle: { width: 2, type: "dashed", color: COLOURS.remapped },
          itemStyle: { color: COLOURS.remapped }
        });
      }
    }
    if (data.last_year && data.last_year.some(function (v) { return v !== null; })) {
      series.push({
        name: names.last_year, type: "line", data: data.last_year, connectNulls: false,
        showSymbol: false, lineStyle: { width: 1.5, type: "dotted", color: COLOURS.lastYear },
        itemStyle: { color: COLOURS.lastYear }
      });
    }
    if (data.target && data.target.some(function (v) { return v !== null; })) {
      series.push({
        name: names.target, type: "line", step: "middle", data: data.target,
        connectNulls: false, showSymbol: false,
        lineStyle: { width: 2, type: [6, 4], color: COLOURS.target },
        itemStyle: { color: COLOURS.target }
      });
    }
    if (data.selected !== null && data.selected !== undefined && series.length) {
      series[0].markLine = {
        silent: true, symbol: "none", label: { show: false },
        lineStyle: { color: "#94a3b8", type: "solid", width: 1 },
        data: [{ xAxis: data.labels[data.selected] }]
      };
    }
    var zoom = data.labels.length > 24;
    return {
      animation: false,
      grid: { left: 8, right: 16, top: 48, bottom: zoom ? 48 : 8, containLabel: true },
      legend: { top: 0, type: "scroll" },
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return fmt(v) + (data.measure ? " " + data.measure : ""); }
      },
      xAxis: { type: "category", data: data.labels, axisLabel: { hideOverlap: true } },
      yAxis: {
        type: "value", scale: !bar,
        axisLabel: { formatter: formatter(data.locale, data.decimals, 0) }
      },
      dataZoom: zoom
        ? [{ type: "inside", startValue: Math.max(0, data.labels.length - 24) },
           { type: "slider", height: 18, bottom: 8, startValue: Math.max(0, data.labels.length - 24) }]
        : [],
      series: series
    };
  }

  function draw(el) {
    var data;
    try {
      data = JSON.parse(el.getAttribute("data-chart"));
    } catch (err) {
      el.setAttribute("data-ready", "error");
      return;
    }
    if (typeof echarts === "undefined") {
      el.setAttribute("data-ready", "error");
      return;
    }
    if (!data.values.some(function (v) { return v !== null; })) {
      el.textContent = data.empty || "";
      el.classList.add("chart-empty");
      el.setAttribute("data-ready", "empty");
      return;
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option(data));
    el.setAttribute("data-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function autosubmit(form) {
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        // a new period type needs a period of that type: let the server choose the latest
        if (select.name === "period_type") {
          var period = form.querySelector("select[name=period]");
          if (period) { period.disabled = true; }
        }
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".indicator-chart[data-chart]").forEach(draw);
    document.querySelectorAll("form[data-autosubmit]").forEach(autosubmit);
  });
})();

// Dashboards: draws every widget of a DashboardData (the JSON the server embeds in the page,
// or the wall fetches from /api/v1/dashboards/{code}/data) with the bundled Apache ECharts,
// and keeps it current from the live event stream, without reloading the page.
//
//   window.DHDashboard = { render(rootElement, data, options), connectLive(options) }
//
// The server has already written every number into the page (value_text and friends are
// formatted there, in the page's language); this script rebuilds the same markup from the
// same data, adds the charts and maps, and re-renders in place when the data changes. No
// inline script or handler anywhere (the Content-Security-Policy forbids them): data comes
// from <script type="application/json"> blocks, behaviour from this file.
(function () {
  "use strict";

  var SERIES = ["#b91c1c", "#1d4ed8", "#0f766e", "#a16207", "#7c3aed", "#be185d"];
  var STATUS = { green: "#15803d", amber: "#b45309", red: "#b91c1c", grey: "#6b7280" };
  var STATUS_ICON = { green: "✓", amber: "!", red: "✕", grey: "–" };
  var FRESH_ICON = { fresh: "●", missing: "○" };
  var LIVE_URL = "/api/v1/live?topics=indicators.*";
  var WRITTEN = "indicators.observations_written";
  var strings = {};
  var allCharts = [];

  // --- small helpers ---------------------------------------------------------------------

  function language() {
    return document.documentElement.lang === "en" ? "en" : "vi-VN";
  }

  function tr(key, vars) {
    var text = strings[key] || key;
    if (vars) {
      text = text.replace(/%\((\w+)\)s/g, function (match, name) {
        return vars[name] === undefined || vars[name] === null ? match : String(vars[name]);
      });
    }
    return text;
  }

  function fmt(value, decimals) {
    if (value === null || value === undefined || isNaN(value)) { return "–"; }
    var d = decimals || 0;
    return new Intl.NumberFormat(language(), {
      minimumFractionDigits: d, maximumFractionDigits: d
    }).format(value);
  }

  // Axis labels: short (1,2 Tr / 1.2M) so a phone's narrow chart keeps its plot area.
  function axisFmt(value) {
    var big = Math.abs(value) >= 10000;
    return new Intl.NumberFormat(language(), big
      ? { notation: "compact", maximumFractionDigits: 1 }
      : { maximumFractionDigits: 2 }).format(value);
  }

  function formatDay(iso) {
    var parts = String(iso).split("-").map(Number);
    var day = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    var en = language() === "en";
    return new Intl.DateTimeFormat(en ? "en-GB" : "vi-VN", en
      ? { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" }
      : { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" }).format(day);
  }

  function untilText(data) {
    return data.data_until ? tr("data_until", { day: formatDay(data.data_until) }) : tr("no_data_yet");
  }

  // Period codes as short axis labels: 2026-07 → 07/2026, 2026Q3 → Q3/2026, 2026S1 → S1/2026.
  function shortPeriod(code) {
    var m = /^(\d{4})-(\d{2})$/.exec(code);
    if (m) { return m[2] + "/" + m[1]; }
    m = /^(\d{4})([QS])(\d)$/.exec(code);
    if (m) { return (m[2] === "S" && language() === "en" ? "H" : m[2]) + m[3] + "/" + m[1]; }
    return code;
  }

  function el(name, attrs, children) {
    var node = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "class") { node.className = value; }
      else { node.setAttribute(key, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function query(params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      if (params[key]) { parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(params[key])); }
    });
    return parts.length ? "?" + parts.join("&") : "";
  }

  function readJson(id) {
    var node = document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (err) { return null; }
  }

  function go(link) { if (link) { window.location.assign(link); } }

  function trend(percent, direction) {
    if (percent === 0 || direction === "none") { return "neutral"; }
    return (percent > 0) === (direction === "up") ? "good" : "bad";
  }

  function look(options) {
    var dark = options.theme === "dark";
    return {
      dark: dark,
      text: dark ? "#e5e7eb" : "#111827",
      muted: dark ? "#94a3b8" : "#6b7280",
      split: dark ? "#334155" : "#e5e7eb",
      background: dark ? "#0f172a" : "#ffffff",
      font: dark ? 18 : 12,
      small: dark ? 15 : 11
    };
  }

  // --- charts --------------------------------------------------------------------------------

  // Charts belong to their widget, so one widget can be redrawn without the others.
  function chart(root, node, option) {
    if (typeof echarts === "undefined" || !node) { return null; }
    var instance = echarts.init(node, null, { renderer: "svg" });
    instance.setOption(option);
    return own(root, node, instance);
  }

  // Any drawing with dispose() and resize() (an ECharts instance, a Leaflet map) is owned by
  // its widget the same way.
  function own(root, node, instance) {
    var owner = node.closest(".widget") || root;
    (owner.__dhCharts = owner.__dhCharts || []).push(instance);
    allCharts.push(instance);
    return instance;
  }

  function disposeCharts(element) {
    [element].concat(Array.prototype.slice.call(element.querySelectorAll(".widget"))).forEach(function (node) {
      (node.__dhCharts || []).forEach(function (instance) {
        var at = allCharts.indexOf(instance);
        if (at >= 0) { allCharts.splice(at, 1); }
        instance.dispose();
      });
      node.__dhCharts = [];
    });
  }

  window.addEventListener("resize", function () {
    allCharts.forEach(function (instance) { instance.resize(); });
  });

  function sparkline(root, node, d, ui) {
    var points = d.sparkline || [];
    if (points.filter(function (p) { return p.value !== null; }).length < 2) { return; }
    var colour = STATUS[d.colour] && d.colour !== "grey" ? STATUS[d.colour] : (ui.dark ? "#93c5fd" : "#1d4ed8");
    chart(root, node, {
      animation: false,
      grid: { left: 2, right: 2, top: 4, bottom: 2 },
      tooltip: ui.dark ? { show: false } : {
        trigger: "axis", confine: true,
        valueFormatter: function (v) { return fmt(v, d.indicator.decimals); }
      },
      xAxis: { type: "category", show: false, data: points.map(function (p) { return p.label; }) },
      yAxis: { type: "value", show: false, scale: true },
      series: [{
        type: "line", data: points.map(function (p) { return p.value; }), showSymbol: false,
        connectNulls: false, lineStyle: { width: 2, color: colour },
        areaStyle: { color: colour, opacity: 0.12 }, itemStyle: { color: colour }
      }]
    });
  }

  // Annotations (notes, events, directives pinned to a day) on a time-series chart: a
  // vertical markLine at the period holding the day, a markArea for a span, an icon per kind
  // (on the wall, where nobody hovers, the icon and the start of the text); the full text is
  // in the axis tooltip. Texts are people's: always escaped before they reach the tooltip.
  var NOTE_ICON = { note: "✎", event: "⚑", directive: "★" };
  var NOTE_COLOUR = {
    light: { note: "#475569", event: "#b45309", directive: "#7c3aed" },
    dark: { note: "#e2e8f0", event: "#fbbf24", directive: "#c4b5fd" }
  };

  function annotationMarks(list, periods, ui) {
    var lines = [], areas = [], byAxis = {};
    var colours = NOTE_COLOUR[ui.dark ? "dark" : "light"];
    (list || []).forEach(function (a) {
      var at = periods.indexOf(a.period);
      var until = a.end_period ? periods.indexOf(a.end_period) : at;
      if (at < 0 && until >= 0) { at = 0; }  // a span that began before the chart's first period
      if (at < 0) { return; }
      if (until < at) { until = at; }
      var colour = colours[a.kind] || colours.note;
      var icon = NOTE_ICON[a.kind] || NOTE_ICON.note;
      var short = a.text.length > 28 ? a.text.slice(0, 27) + "…" : a.text;
      var label = {
        show: true, color: colour, fontSize: ui.dark ? ui.font : ui.small,
        fontWeight: ui.dark ? "bold" : "normal", formatter: ui.dark ? icon + " " + short : icon
      };
      if (until > at) {
        areas.push([
          { name: a.text, xAxis: shortPeriod(periods[at]), label: Object.assign({ position: "insideTop" }, label),
            itemStyle: { color: colour, opacity: ui.dark ? 0.22 : 0.12 } },
          { xAxis: shortPeriod(periods[until]) }
        ]);
      } else {
        lines.push({
          name: a.text, xAxis: shortPeriod(periods[at]), label: Object.assign({ position: "end" }, label),
          lineStyle: { color: colour, width: ui.dark ? 2.5 : 1.5, type: a.kind === "directive" ? "solid" : "dashed" }
        });
      }
      for (var i = at; i <= until; i++) {
        var key = shortPeriod(periods[i]);
        (byAxis[key] = byAxis[key] || []).push(icon + " " + a.kind_label + " · " + a.day_text + ": " + a.text);
      }
    });
    return {
      markLine: lines.length ? { symbol: "none", silent: false, animation: false, data: lines } : null,
      markArea: areas.length ? { silent: false, animation: false, data: areas } : null,
      byAxis: byAxis
    };
  }

  function timeseries(root, node, d, ui) {
    // start where the data starts: 24 years of a series begun in 2021 are mostly empty
    var first = d.periods.findIndex(function (p, i) {
      return d.series.some(function (s) { return s.values[i] !== null; });
    });
    if (first > 0 && d.periods.length - first >= 2) {
      var cut = function (values) { return values.slice(first); };
      d = Object.assign({}, d, {
        periods: cut(d.periods),
        series: d.series.map(function (s) { return Object.assign({}, s, { values: cut(s.values) }); }),
        targets: (d.targets || []).map(function (t) { return Object.assign({}, t, { values: cut(t.values) }); })
      });
    }
    var units = [];
    d.series.forEach(function (s) {
      if (units.indexOf(s.indicator.measure_unit) < 0) { units.push(s.indicator.measure_unit); }
    });
    var axisOf = function (ref) { return Math.min(1, Math.max(0, units.indexOf(ref.measure_unit))); };
    var series = [];
    d.series.forEach(function (s, i) {
      series.push({
        name: s.indicator.name, type: "line", data: s.values, yAxisIndex: axisOf(s.indicator),
        connectNulls: false, showSymbol: false, lineStyle: { width: ui.dark ? 4 : 2.5 },
        color: SERIES[i % SERIES.length], decimals: s.indicator.decimals
      });
    });
    (d.targets || []).forEach(function (t) {
      var i = d.series.findIndex(function (s) { return s.indicator.code === t.indicator.code; });
      series.push({
        name: d.series.length > 1 ? tr("plan") + ": " + t.indicator.name : tr("plan"),
        type: "line", data: t.values,
        yAxisIndex: axisOf(t.indicator), connectNulls: false, showSymbol: false,
        lineStyle: { width: 2, type: [6, 4] }, color: SERIES[Math.max(0, i) % SERIES.length]
      });
    });
    var decimals = Math.max.apply(null, d.series.map(function (s) { return s.indicator.decimals; }).concat([0]));
    var yAxes = units.slice(0, 2).map(function (unit, i) {
      return {
        type: "value", name: unit, position: i ? "right" : "left", scale: false,
        nameTextStyle: { color: ui.muted, fontSize: ui.small, align: i ? "right" : "left" },
        axisLabel: { formatter: axisFmt, color: ui.muted, fontSize: ui.small },
        splitLine: { show: i === 0, lineStyle: { color: ui.split } }
      };
    });
    if (!yAxes.length) { yAxes = [{ type: "value" }]; }
    var legend = series.length > 1;
    var marks = annotationMarks(d.annotations, d.periods, ui);
    if (series.length && marks.markLine) { series[0].markLine = marks.markLine; }
    if (series.length && marks.markArea) { series[0].markArea = marks.markArea; }
    chart(root, node, {
      animation: false,
      color: SERIES,
      grid: { left: 8, right: 12, top: 28, bottom: legend ? (ui.dark ? 40 : 30) : 8, containLabel: true },
      legend: legend ? {
        bottom: 0, type: "scroll", pageTextStyle: { color: ui.muted },
        textStyle: { color: ui.text, fontSize: ui.small, width: ui.dark ? 320 : 170, overflow: "truncate" }
      } : { show: false },
      tooltip: {
        trigger: "axis", confine: true, extraCssText: "max-width: 22rem; white-space: normal;",
        formatter: function (params) {
          var items = [].concat(params || []);
          if (!items.length) { return ""; }
          var esc = echarts.format.encodeHTML;
          var rows = [esc(items[0].axisValueLabel)];
          items.forEach(function (p) {
            rows.push(p.marker + esc(p.seriesName) + " <strong>" + esc(fmt(p.value, decimals)) + "</strong>");
          });
          (marks.byAxis[items[0].axisValue] || []).forEach(function (text) {
            rows.push('<span class="w-annotation">' + esc(text) + "</span>");
          });
          return rows.join("<br>");
        }
      },
      xAxis: {
        type: "category", data: d.periods.map(shortPeriod),
        axisLabel: { hideOverlap: true, color: ui.muted, fontSize: ui.small },
        axisLine: { lineStyle: { color: ui.split } }
      },
      yAxis: yAxes,
      series: series
    });
  }

  function ranking(root, node, d, ui, interactive) {
    var rows = d.rows;
    if (!rows.length) { return; }
    var instance = chart(root, node, {
      animation: false,
      grid: { left: 8, right: ui.dark ? 96 : 64, top: 4, bottom: 4, containLabel: true },
      tooltip: ui.dark ? { show: false } : { trigger: "item", confine: true, formatter: function (p) {
        var row = rows[p.dataIndex];
        return row.rank + ". " + row.unit.name + ": " + row.value_text + " " + (d.indicator.measure_unit || "");
      } },
      xAxis: { type: "value", show: false },
      yAxis: {
        type: "category", inverse: true, data: rows.map(function (r) { return r.unit.name; }),
        triggerEvent: interactive,
        axisLabel: { color: ui.text, fontSize: ui.small, width: ui.dark ? 220 : 130, overflow: "truncate" },
        axisLine: { show: false }, axisTick: { show: false }
      },
      series: [{
        type: "bar", barMaxWidth: ui.dark ? 30 : 18, cursor: interactive ? "pointer" : "default",
        data: rows.map(function (r) { return r.value; }),
        itemStyle: { color: ui.dark ? "#60a5fa" : "#1d4ed8", borderRadius: [0, 3, 3, 0] },
        label: {
          show: true, position: "right", color: ui.text, fontSize: ui.small,
          formatter: function (p) { return rows[p.dataIndex].value_text; }
        }
      }]
    });
    if (instance && interactive) {
      instance.on("click", function (p) {
        var row = p.componentType === "yAxis"
          ? rows.find(function (r) { return r.unit.name === p.value; })
          : rows[p.dataIndex];
        if (row) { go(row.link); }
      });
    }
  }

  // Maps are drawn by dashboard-map.js: an ECharts choropleth, or Leaflet over the province's
  // tile server when one is configured, or a grid of equal tiles for units without outlines.
  function map(root, node, d, ui, interactive) {
    if (!window.DHMap) { return; }
    window.DHMap.draw(root, node, d, ui, interactive, {
      chart: chart, own: own, fmt: fmt, tr: tr, el: el, go: go
    });
  }

  // --- widget markup (the same as templates/dashboards/_widget.html) -------------------------

  function kpiBody(spec, d) {
    var parts = [];
    parts.push(el("div", { class: "w-kpi-value" }, [
      el("span", { class: "w-kpi-number", "data-testid": "kpi-value", text: d.value_text }),
      d.measure_unit ? " " : null,
      d.measure_unit ? el("span", { class: "w-kpi-measure", text: d.measure_unit }) : null
    ]));
    parts.push(el("p", {
      class: "w-kpi-period",
      text: spec.ytd ? tr("ytd_to", { period: d.ytd_label || d.period_label }) : d.period_label
    }));
    if (!spec.ytd && d.ytd !== null && d.ytd !== undefined) {
      parts.push(el("p", { class: "w-kpi-ytd" }, [tr("ytd") + ": ", el("strong", { text: d.ytd_text })]));
    }
    var c = d.change;
    if (c && c.percent !== null && c.percent !== undefined) {
      var word = c.percent > 0 ? tr("up") : c.percent < 0 ? tr("down") : tr("unchanged");
      parts.push(el("p", { class: "w-kpi-change trend-" + trend(c.percent, d.indicator.direction), "data-testid": "kpi-change" }, [
        el("span", { class: "w-arrow", "aria-hidden": "true", text: c.percent > 0 ? "▲" : c.percent < 0 ? "▼" : "▶" }),
        " ",
        el("span", { class: "sr-only", text: word }),
        " ",
        el("strong", { text: fmt(Math.abs(c.percent), 1) + "%" }),
        " ",
        el("span", { class: "w-note", text: tr("change_vs", { period: d.period_label }) })
      ]));
    }
    var p = d.progress;
    if (p && p.progress !== null && p.progress !== undefined) {
      var percent = p.progress * 100;
      var fill = el("span");
      fill.style.width = Math.min(percent, 100).toFixed(1) + "%";
      parts.push(el("div", { class: "w-progress status-" + p.colour, "data-testid": "kpi-progress" }, [
        el("div", {
          class: "w-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100",
          "aria-valuenow": String(Math.round(Math.min(percent, 100)))
        }, [fill]),
        el("p", { class: "w-progress-text" }, [
          el("span", { class: "w-status-icon", "aria-hidden": "true", text: STATUS_ICON[p.colour] || "–" }),
          " " + tr("of_plan", { percent: fmt(percent, 0) + "%" }) + " · ",
          el("span", { class: "w-status-text", text: p.status_text })
        ])
      ]));
    }
    parts.push(el("div", { class: "w-spark", "aria-hidden": "true" }));
    parts.push(el("p", { class: "w-fresh fresh-" + d.freshness, "data-testid": "kpi-fresh" }, [
      el("span", { class: "w-fresh-icon", "aria-hidden": "true", text: FRESH_ICON[d.freshness] || "◐" }),
      " ",
      d.freshness !== "fresh" ? el("strong", { text: tr(d.freshness) }) : null,
      d.freshness !== "fresh" ? " · " : null,
      d.data_until_text
    ]));
    return parts;
  }

  function caption(d) {
    var unit = d.indicator && d.indicator.measure_unit;
    return el("p", { class: "w-caption", text: d.period_label + (unit ? " · " + unit : "") });
  }

  function rankingBody(d, interactive) {
    var list = el("ol", { class: "w-rank-list sr-only" }, d.rows.map(function (r) {
      return el("li", {}, [
        el("span", { class: "w-rank", text: String(r.rank) }), " ",
        interactive ? el("a", { href: r.link, text: r.unit.name }) : r.unit.name, " ",
        el("span", { class: "num", text: r.value_text })
      ]);
    }));
    return [
      caption(d),
      el("div", { class: "w-chart", "aria-hidden": "true" }),
      list,
      d.missing ? el("p", { class: "w-caption", text: tr("missing_units", { count: fmt(d.missing, 0) }) }) : null
    ];
  }

  function tableBody(d, interactive) {
    var head = el("tr", {}, [el("th", { scope: "col", text: tr("unit") })].concat(d.indicators.map(function (ind, i) {
      var sub = d.period_labels[i] + (ind.measure_unit ? " · " + ind.measure_unit : "");
      return el("th", { scope: "col", class: "num" }, [ind.name, el("span", { class: "w-th-sub", text: sub })]);
    })));
    var cells = function (values) {
      return values.map(function (v) { return el("td", { class: "num", text: v.text }); });
    };
    var body = d.rows.map(function (row) {
      return el("tr", { "data-code": row.unit.code }, [
        el("th", { scope: "row" }, [interactive ? el("a", { href: row.link, text: row.unit.name }) : row.unit.name])
      ].concat(cells(row.values)));
    });
    var table = el("table", { class: "data w-table" }, [
      el("thead", {}, [head]),
      el("tbody", {}, body),
      d.total ? el("tfoot", {}, [el("tr", {}, [
        el("th", { scope: "row", text: tr("total") + ": " + d.total.unit.name })
      ].concat(cells(d.total.values)))]) : null
    ]);
    return [el("div", { class: "w-table-wrap" }, [table])];
  }

  function counterBody(d, interactive) {
    return [el("ul", { class: "w-counters" }, d.items.map(function (item) {
      var inner = [
        el("span", { class: "w-counter-value", text: item.value_text }), " ",
        el("span", { class: "w-counter-label", text: item.label })
      ];
      return el("li", {}, interactive ? [el("a", { href: item.link }, inner)] : inner);
    }))];
  }

  function feedBody(d) {
    var items = d.events.map(function (e) {
      return el("li", {}, [el("time", { datetime: e.at, text: e.at_text || e.at }), " ", el("span", { text: e.text })]);
    });
    if (!items.length) { items = [el("li", { class: "w-empty", text: tr("no_events") })]; }
    return [el("ol", { class: "w-feed" }, items)];
  }

  function menu(data, id) {
    // calendar= only when the reader left the dashboard's own calendar (as the server does)
    var calendar = data.calendar && data.calendar !== data.dashboard.reporting_calendar ? data.calendar : null;
    var params = query({ unit: data.unit.code, period: data.period, calendar: calendar });
    var base = "/api/v1/dashboards/" + data.dashboard.code + "/widgets/" + id + "/data.";
    return el("details", { class: "w-menu" }, [
      el("summary", { title: tr("widget_menu") }, [
        el("span", { "aria-hidden": "true", text: "⋮" }),
        el("span", { class: "sr-only", text: tr("widget_menu") })
      ]),
      el("div", { class: "w-menu-items" }, [
        el("a", { href: base + "csv" + params, "data-testid": "download-csv", download: true, text: tr("download_csv") }),
        el("a", { href: base + "xlsx" + params, "data-testid": "download-xlsx", download: true, text: tr("download_excel") })
      ])
    ]);
  }

  function widget(data, spec, shown, options, drawers) {
    var d = shown.data;
    var interactive = options.interactive !== false;
    var ui = look(options);
    var offset = options.rowOffset || 0;
    var classes = "widget w-" + shown.type + (shown.type === "kpi" && d ? " colour-" + d.colour : "");
    var title = interactive && shown.type === "kpi" && d
      ? el("a", { class: "w-kpi-link", href: d.link, text: shown.title })
      : shown.title;
    var node = el("article", {
      class: classes, "data-widget": shown.id, "data-type": shown.type, "data-testid": "widget-" + shown.id
    }, [el("header", { class: "w-head" }, [
      el("h3", { class: "w-title" }, [title]),
      interactive && d ? menu(data, shown.id) : null
    ])]);
    node.style.setProperty("--x", spec.x + 1);
    node.style.setProperty("--w", spec.w);
    node.style.setProperty("--y", spec.y + 1 - offset);
    node.style.setProperty("--h", spec.h);
    node.style.setProperty("--wm", spec.w <= 6 ? 6 : 12);
    var body = el("div", { class: "w-body" });
    node.appendChild(body);
    var parts = [];
    if (shown.error || !d) {
      parts = [el("p", { class: "w-error", role: "status", text: tr("error") + (shown.error ? ": " + shown.error : "") })];
    } else if (shown.type === "kpi") {
      parts = kpiBody(spec, d);
      drawers.push(function (root) { sparkline(root, body.querySelector(".w-spark"), d, ui); });
    } else if (shown.type === "ranking") {
      parts = rankingBody(d, interactive);
      drawers.push(function (root) { ranking(root, body.querySelector(".w-chart"), d, ui, interactive); });
    } else if (shown.type === "map") {
      parts = [caption(d), el("div", { class: "w-chart", role: "img", "aria-label": shown.title })];
      drawers.push(function (root) { map(root, body.querySelector(".w-chart"), d, ui, interactive); });
    } else if (shown.type === "timeseries") {
      parts = [el("div", { class: "w-chart", role: "img", "aria-label": shown.title })];
      drawers.push(function (root) { timeseries(root, body.querySelector(".w-chart"), d, ui); });
    } else if (shown.type === "table") {
      parts = tableBody(d, interactive);
    } else if (shown.type === "counter") {
      parts = counterBody(d, interactive);
    } else if (shown.type === "feed") {
      parts = feedBody(d);
    }
    parts.forEach(function (part) { if (part) { body.appendChild(part); } });
    return node;
  }

  // --- public: render -------------------------------------------------------------------------

  // options: theme ("dark" on the wall), interactive (links and menus; false on the wall),
  // widgets (ids to show, default all), rowOffset (first grid row shown), rows (fixed rows),
  // only (ids to rebuild in place, keeping the rest: a live refresh).
  function render(root, data, options) {
    options = options || {};
    if (options.only && root.getAttribute("data-ready") === "1") {
      return redraw(root, data, options);
    }
    disposeCharts(root);
    var specs = {};
    data.dashboard.widgets.forEach(function (w) { specs[w.id] = w; });
    var only = options.widgets;
    var cells = data.widgets.filter(function (w) {
      return specs[w.id] && (!only || only.indexOf(w.id) >= 0);
    }).map(function (w) { return { spec: specs[w.id], shown: w }; });
    cells.sort(function (a, b) { return (a.spec.y - b.spec.y) || (a.spec.x - b.spec.x); });
    var drawers = [];
    var fragment = document.createDocumentFragment();
    cells.forEach(function (cell) {
      fragment.appendChild(widget(data, cell.spec, cell.shown, options, drawers));
    });
    root.textContent = "";
    if (options.rows) { root.style.setProperty("--rows", options.rows); }
    root.appendChild(fragment);
    drawers.forEach(function (draw) {
      try { draw(root); } catch (err) { if (window.console) { console.warn(err); } }
    });
    root.setAttribute("data-ready", "1");
    root.setAttribute("data-generated", data.generated_at || "");
    return root;
  }

  // Only the widgets in options.only are rebuilt (a live refresh): the rest of the board,
  // its charts and what the reader is looking at stay as they are.
  function redraw(root, data, options) {
    var specs = {};
    data.dashboard.widgets.forEach(function (w) { specs[w.id] = w; });
    var drawers = [];
    data.widgets.forEach(function (shown) {
      if (options.only.indexOf(shown.id) < 0 || !specs[shown.id]) { return; }
      var old = root.querySelector('[data-widget="' + shown.id + '"]');
      if (!old) { return; }
      var mine = [];
      var node = widget(data, specs[shown.id], shown, options, mine);
      disposeCharts(old);
      old.replaceWith(node);
      drawers = drawers.concat(mine);
    });
    drawers.forEach(function (draw) {
      try { draw(root); } catch (err) { if (window.console) { console.warn(err); } }
    });
    root.setAttribute("data-generated", data.generated_at || "");
    return root;
  }

  // --- public: live updates ------------------------------------------------------------------

  // options: indicators() → codes shown; feed() → true when a feed widget wants every event;
  // onUpdate(payload) → refetch and re-render; status → the "reconnecting" element.
  function connectLive(options) {
    var source = null;
    var changed = [];
    var timer = null;
    var retry = null;
    var closed = false;
    var status = options.status || null;

    function setState(state) {
      document.documentElement.setAttribute("data-live", state);
      if (status) { status.hidden = state !== "reconnecting"; }
    }

    function wanted(payload) {
      if (options.feed && options.feed()) { return true; }
      var shown = options.indicators ? options.indicators() : [];
      return (payload.indicators || []).some(function (code) { return shown.indexOf(code) >= 0; });
    }

    function open() {
      if (closed) { return; }
      setState("connecting");
      source = new EventSource(options.url || LIVE_URL);
      source.onopen = function () { setState("open"); };
      source.onerror = function () {
        setState("reconnecting");
        // the browser retries by itself unless the server refused the stream outright
        if (source.readyState === EventSource.CLOSED) {
          clearTimeout(retry);
          retry = setTimeout(open, 5000);
        }
      };
      source.addEventListener(WRITTEN, function (event) {
        var payload;
        try { payload = JSON.parse(event.data); } catch (err) { return; }
        if (!wanted(payload)) { return; }
        // writes in quick succession: one refetch for all the indicators they name
        (payload.indicators || []).forEach(function (code) {
          if (changed.indexOf(code) < 0) { changed.push(code); }
        });
        clearTimeout(timer);
        timer = setTimeout(function () {
          var codes = changed;
          changed = [];
          options.onUpdate({ indicators: codes });
        }, 50);
      });
    }

    function stop() {
      clearTimeout(timer);
      clearTimeout(retry);
      if (source) { source.close(); }
    }

    function close() {
      closed = true;
      stop();
    }

    // leaving the page ends the stream; coming back to it (the back button's page cache)
    // opens it again and catches up with what was written meanwhile
    window.addEventListener("pagehide", stop);
    window.addEventListener("pageshow", function (event) {
      if (event.persisted && !closed) {
        open();
        options.onUpdate({});
      }
    });
    open();
    return { close: close };
  }

  // Fetches a dashboard's data in the page's language.
  function load(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json", "Accept-Language": document.documentElement.lang || "vi" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  function hasFeed(data) {
    return !!data && data.widgets.some(function (w) { return w.type === "feed"; });
  }

  function setText(selector, text) {
    document.querySelectorAll(selector).forEach(function (node) { node.textContent = text; });
  }

  function shows(widget, codes) {
    var own = (widget.indicators || []).concat(widget.indicator ? [widget.indicator] : []);
    return own.some(function (code) { return codes.indexOf(code) >= 0; });
  }

  // What a write to `codes` changes, as refreshes in order: first the widgets showing one of
  // them and the feeds (a tenth of the whole board's cost: on screen at once), then the
  // data-supply counters (an assessment of every indicator of the unit, much dearer).
  // A refresh is {widgets: [ids]}; {} is the whole board.
  function affected(data, codes) {
    var first = [], then = [];
    data.dashboard.widgets.forEach(function (w) {
      if (w.type === "counter") { then.push(w.id); }
      else if (w.type === "feed" || shows(w, codes)) { first.push(w.id); }
    });
    return [first, then].filter(function (ids) { return ids.length; })
      .map(function (ids) { return { widgets: ids }; });
  }

  function withParam(url, name, value) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + name + "=" + encodeURIComponent(value);
  }

  // The data after a refresh: the widgets fetched again and put in place of the old ones.
  function loadChange(url, data, change) {
    if (!change.widgets) { return load(url); }
    return load(withParam(url, "widgets", change.widgets.join(","))).then(function (part) {
      var fresh = {};
      part.widgets.forEach(function (w) { fresh[w.id] = w; });
      var until = [data.data_until, part.data_until].filter(Boolean).sort().pop() || null;
      return Object.assign({}, data, {
        widgets: data.widgets.map(function (w) { return fresh[w.id] || w; }),
        data_until: until,
        generated_at: part.generated_at
      });
    });
  }

  // Runs the refreshes a live event asks for one at a time; `apply` gets the new data unless
  // what is shown changed meanwhile (the wall moved on to its next dashboard).
  function updater(currentUrl, currentData, apply) {
    var queue = [];
    var busy = false;
    function next() {
      if (busy || !queue.length) { return; }
      busy = true;
      var change = queue.shift();
      var url = currentUrl();
      var base = currentData();
      loadChange(url, base, change).then(function (fresh) {
        if (currentUrl() === url && currentData() === base) { apply(fresh, change); }
      }).catch(function () { /* keep what is shown; the next event tries again */ })
        .then(function () { busy = false; next(); });
    }
    return function (event) {
      var data = currentData();
      if (!data) { return; }
      if (event.indicators) {
        affected(data, event.indicators).forEach(function (step) { queue.push(step); });
      } else {
        queue = [{}];
      }
      next();
    };
  }

  // --- the dashboard page ----------------------------------------------------------------------

  function startPage(root) {
    var data = readJson(root.getAttribute("data-source"));
    if (!data) { return; }
    var url = root.getAttribute("data-url");
    render(root, data, { interactive: true });

    var refresh = updater(
      function () { return url; },
      function () { return data; },
      function (fresh, change) {
        data = fresh;
        render(root, data, { interactive: true, only: change.widgets });
        setText("[data-dh=data-until]", untilText(data));
      }
    );

    connectLive({
      indicators: function () { return data.indicators; },
      feed: function () { return hasFeed(data); },
      onUpdate: refresh,
      status: document.querySelector("[data-dh=live]")
    });
  }

  // --- the wall ------------------------------------------------------------------------------

  // A dashboard taller than one screen is shown in parts of at most `rows` grid rows.
  function parts(data, rows) {
    var specs = data.dashboard.widgets.slice().sort(function (a, b) { return (a.y - b.y) || (a.x - b.x); });
    var out = [];
    var current = null;
    specs.forEach(function (s) {
      if (!current || s.y + s.h > current.y0 + rows) {
        current = { y0: s.y, end: s.y + s.h, ids: [] };
        out.push(current);
      }
      current.ids.push(s.id);
      current.end = Math.max(current.end, s.y + s.h);
    });
    return out.length ? out : [{ y0: 0, end: 1, ids: [] }];
  }

  function startWall(root) {
    var items = readJson(root.getAttribute("data-items")) || [];
    var rows = Number(root.getAttribute("data-rows")) || 8;
    var progress = document.querySelector("[data-dh=progress]");
    var dots = document.querySelectorAll("[data-dh=dots] li");
    var state = { index: 0, data: readJson(root.getAttribute("data-source")), parts: [], part: 0 };
    var timer = null;

    function header(data) {
      setText("[data-dh=title]", data.dashboard.title);
      setText("[data-dh=unit]", data.unit.name);
      setText("[data-dh=period]", data.period_label);
      setText("[data-dh=data-until]", untilText(data));
    }

    function showPart() {
      var part = state.parts[state.part];
      render(root, state.data, {
        theme: "dark", interactive: false, widgets: part.ids, rowOffset: part.y0,
        rows: Math.max(1, part.end - part.y0)
      });
      root.setAttribute("data-item", String(state.index));
      root.setAttribute("data-part", String(state.part));
    }

    function schedule() {
      clearTimeout(timer);
      if (!items.length) { return; }
      var item = items[state.index];
      // the item's time is shared by its screens (not shorter than 2.5 s each)
      var ms = Math.max(2500, (item.seconds * 1000) / Math.max(1, state.parts.length));
      if (progress) {
        progress.style.transition = "none";
        progress.style.width = "0";
        void progress.offsetWidth; // restart the bar
        progress.style.transition = "width " + ms + "ms linear";
        progress.style.width = "100%";
      }
      timer = setTimeout(advance, ms);
    }

    function show(data) {
      state.data = data;
      state.parts = parts(data, rows);
      state.part = Math.min(state.part, state.parts.length - 1);
      header(data);
      showPart();
    }

    function advance() {
      if (state.part + 1 < state.parts.length) {
        state.part += 1;
        showPart();
        schedule();
        return;
      }
      state.index = (state.index + 1) % items.length;
      state.part = 0;
      dots.forEach(function (dot, i) { dot.classList.toggle("current", i === state.index); });
      load(items[state.index].data_url).then(function (data) {
        show(data);
      }).catch(function () {
        state.parts = [{ y0: 0, end: 1, ids: [] }];
        root.textContent = "";
        root.appendChild(el("p", { class: "w-error", role: "status", text: tr("load_failed") }));
      }).then(schedule);
    }

    var refresh = updater(
      function () { return items.length ? items[state.index].data_url : ""; },
      function () { return state.data; },
      show
    );

    if (state.data) {
      show(state.data);
    }
    schedule();
    clock();
    setInterval(clock, 1000);
    idleCursor();
    connectLive({
      indicators: function () { return state.data ? state.data.indicators : []; },
      feed: function () { return hasFeed(state.data); },
      onUpdate: refresh,
      status: document.querySelector("[data-dh=live]")
    });
  }

  function clock() {
    var node = document.querySelector("[data-dh=clock]");
    if (!node) { return; }
    var now = new Date();
    var zone = "Asia/Ho_Chi_Minh";
    var time = new Intl.DateTimeFormat(language(), {
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: zone
    }).format(now);
    var day = new Intl.DateTimeFormat(language(), {
      weekday: "long", day: "2-digit", month: "2-digit", year: "numeric", timeZone: zone
    }).format(now);
    node.textContent = "";
    node.appendChild(el("span", { class: "wall-time", text: time }));
    node.appendChild(el("span", { class: "wall-day", text: day }));
  }

  // The wall needs no mouse: the pointer disappears after three quiet seconds.
  function idleCursor() {
    var quiet = null;
    function wake() {
      document.body.classList.remove("idle");
      clearTimeout(quiet);
      quiet = setTimeout(function () { document.body.classList.add("idle"); }, 3000);
    }
    ["mousemove", "mousedown", "keydown", "touchstart"].forEach(function (name) {
      document.addEventListener(name, wake, { passive: true });
    });
    wake();
  }

  window.DHDashboard = { render: render, connectLive: connectLive };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-dh-dashboard], [data-dh-wall]").forEach(function (root) {
      strings = readJson(root.getAttribute("data-strings")) || strings;
      if (root.hasAttribute("data-dh-wall")) { startWall(root); } else { startPage(root); }
    });
  });
})();

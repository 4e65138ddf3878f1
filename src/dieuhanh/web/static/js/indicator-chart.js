// Indicator detail page: draws the series chart with the bundled Apache ECharts, and submits
// the unit and period pickers as soon as they change. The data comes with the page (the
// chart's data-chart attribute, JSON built by the server), so the chart needs no extra request
// and the page still reads as tables without JavaScript. Annotations (notes, events,
// directives) are marks on the chart with their text in the tooltip; the form under the chart
// adds one through the JSON API (with the session's CSRF header) and the page reloads.
(function () {
  "use strict";

  var COLOURS = {
    value: "#b91c1c",
    remapped: "#f59e0b",
    lastYear: "#64748b",
    target: "#1d4ed8"
  };
  var NOTE_ICON = { note: "✎", event: "⚑", directive: "★" };
  var NOTE_COLOUR = { note: "#475569", event: "#b45309", directive: "#7c3aed" };
  var strings = {};

  function tr(key, vars) {
    var text = strings[key] || key;
    return text.replace(/%\((\w+)\)s/g, function (match, name) {
      return vars && vars[name] !== undefined ? String(vars[name]) : match;
    });
  }

  // markLine items (one day) and markArea pairs (spans) at the periods holding the days, and
  // the texts by axis label for the tooltip.
  function annotationMarks(list, data) {
    var lines = [], areas = [], byAxis = {};
    (list || []).forEach(function (a) {
      var at = data.periods.indexOf(a.period);
      var until = a.end_period ? data.periods.indexOf(a.end_period) : at;
      if (at < 0 && until >= 0) { at = 0; }
      if (at < 0) { return; }
      if (until < at) { until = at; }
      var colour = NOTE_COLOUR[a.kind] || NOTE_COLOUR.note;
      var icon = NOTE_ICON[a.kind] || NOTE_ICON.note;
      var label = { show: true, color: colour, fontSize: 13, formatter: icon };
      if (until > at) {
        areas.push([
          { name: a.text, xAxis: data.labels[at], label: Object.assign({ position: "insideTop" }, label),
            itemStyle: { color: colour, opacity: 0.12 } },
          { xAxis: data.labels[until] }
        ]);
      } else {
        lines.push({
          name: a.text, xAxis: data.labels[at], label: Object.assign({ position: "end" }, label),
          lineStyle: { color: colour, width: 1.5, type: a.kind === "directive" ? "solid" : "dashed" }
        });
      }
      for (var i = at; i <= until; i++) {
        (byAxis[data.labels[i]] = byAxis[data.labels[i]] || []).push(
          icon + " " + a.kind_label + " · " + a.day_text + ": " + a.text);
      }
    });
    return { lines: lines, areas: areas, byAxis: byAxis };
  }

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
    var marks = annotationMarks(data.annotations, data);
    var markData = marks.lines.slice();
    if (data.selected !== null && data.selected !== undefined) {
      markData.unshift({ xAxis: data.labels[data.selected], label: { show: false } });
    }
    if (markData.length && series.length) {
      series[0].markLine = {
        silent: false, symbol: "none", label: { show: false }, animation: false,
        lineStyle: { color: "#94a3b8", type: "solid", width: 1 },
        data: markData
      };
    }
    if (marks.areas.length && series.length) {
      series[0].markArea = { silent: false, animation: false, data: marks.areas };
    }
    var unit = data.measure ? " " + data.measure : "";
    var zoom = data.labels.length > 24;
    return {
      animation: false,
      grid: { left: 8, right: 16, top: 48, bottom: zoom ? 48 : 8, containLabel: true },
      legend: { top: 0, type: "scroll" },
      tooltip: {
        trigger: "axis", confine: true, extraCssText: "max-width: 24rem; white-space: normal;",
        formatter: function (params) {
          var items = [].concat(params || []);
          if (!items.length) { return ""; }
          var esc = echarts.format.encodeHTML;
          var rows = [esc(items[0].axisValueLabel)];
          items.forEach(function (p) {
            var value = Array.isArray(p.value) ? p.value[1] : p.value;
            rows.push(p.marker + esc(p.seriesName) + " <strong>" + esc(fmt(value) + unit) + "</strong>");
          });
          (marks.byAxis[items[0].axisValue] || []).forEach(function (text) { rows.push(esc(text)); });
          return rows.join("<br>");
        }
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

  // --- adding and deleting annotations ------------------------------------------------------

  function send(method, url, body) {
    var headers = { "Accept": "application/json", "X-CSRF-Token": document.body.dataset.csrf || "" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  function problemOf(response) {
    return response.json().catch(function () {
      return { status: response.status, title: response.statusText, code: "" };
    });
  }

  function showStatus(text) {
    var status = document.querySelector("[data-testid=annotation-status]");
    if (!status) { return; }
    status.textContent = text;
    status.hidden = !text;
  }

  // The API's typed errors next to their fields (in the page's language), the rest on top.
  function showErrors(form, problem, heading) {
    form.querySelectorAll("[data-error-for]").forEach(function (slot) { slot.hidden = true; slot.textContent = ""; });
    var general = [];
    (problem.errors || []).forEach(function (error) {
      var field = (error.location || [])[1];
      var slot = field ? form.querySelector("[data-error-for='" + field + "']") : null;
      var text = strings["err_" + error.type] ? tr("err_" + error.type, error.params) : (error.message || "");
      if (slot) {
        slot.textContent = text;
        slot.hidden = false;
      } else {
        general.push(text);
      }
    });
    var top = [heading, problem.title].concat(general).filter(Boolean);
    if (problem.detail && !(problem.errors || []).length) { top.push(problem.detail); }
    showStatus(top.join(" — "));
  }

  function value(form, name) {
    var field = form.elements[name];
    var text = field ? String(field.value || "").trim() : "";
    return text || null;
  }

  function annotationForm(form) {
    form.hidden = false;
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var everyUnit = form.elements.every_unit && form.elements.every_unit.checked;
      var body = {
        day: value(form, "day"), end_day: value(form, "end_day"), kind: value(form, "kind") || "note",
        text_vi: form.elements.text_vi.value, text_en: value(form, "text_en"), link: value(form, "link"),
        unit: everyUnit ? null : value(form, "unit"), hierarchy: everyUnit ? null : value(form, "hierarchy")
      };
      button.disabled = true;
      send("POST", form.getAttribute("data-api"), body).then(function (response) {
        if (response.status === 201) {
          window.location.reload();
          return null;
        }
        return problemOf(response).then(function (problem) {
          showErrors(form, problem, strings.failed);
          button.disabled = false;
        });
      }).catch(function () {
        showStatus(strings.failed || "");
        button.disabled = false;
      });
    });
  }

  function deleteButton(button) {
    button.addEventListener("click", function () {
      if (!window.confirm(strings.confirm_delete || "?")) { return; }
      button.disabled = true;
      send("DELETE", button.getAttribute("data-delete-url")).then(function (response) {
        if (response.status === 204) {
          window.location.reload();
          return null;
        }
        return problemOf(response).then(function (problem) {
          showStatus([strings.delete_failed, problem.title, problem.detail].filter(Boolean).join(" — "));
          button.disabled = false;
        });
      }).catch(function () {
        showStatus(strings.delete_failed || "");
        button.disabled = false;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var block = document.getElementById("annotation-strings");
    if (block) {
      try { strings = JSON.parse(block.textContent) || {}; } catch (err) { strings = {}; }
    }
    document.querySelectorAll(".indicator-chart[data-chart]").forEach(draw);
    document.querySelectorAll("form[data-autosubmit]").forEach(autosubmit);
    document.querySelectorAll("form.annotation-form[data-api]").forEach(annotationForm);
    document.querySelectorAll("button[data-delete-url]").forEach(deleteButton);
  });
})();

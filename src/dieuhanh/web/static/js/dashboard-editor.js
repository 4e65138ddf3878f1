// Dashboard composer and wall playlist editor.
//
// Both pages save through the JSON API (POST/PATCH /api/v1/dashboards, PUT
// /api/v1/wall/playlists/{code}) with the session's CSRF token, so the API's validation is the
// only one; its problem+json errors[].location names the field or the widget to mark. The
// composer's state (widgets, each type's options and defaults, counter names, texts) comes
// from the page as JSON in <script type="application/json" id="editor-data">.
(function () {
  "use strict";

  // --- small helpers -----------------------------------------------------------------------

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "dataset") { Object.keys(value).forEach(function (k) { node.dataset[k] = value[k]; }); }
      else if (value === true) { node.setAttribute(key, ""); }
      else { node.setAttribute(key, String(value)); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function fmt(text, vars) {
    return text.replace(/%\((\w+)\)s/g, function (match, key) {
      return vars[key] === undefined ? match : String(vars[key]);
    });
  }

  function readJSON(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function send(method, url, body) {
    var headers = { "Accept": "application/json", "X-CSRF-Token": document.body.dataset.csrf || "" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  }

  function problemOf(response) {
    return response.json().catch(function () {
      return { status: response.status, title: response.statusText, code: "" };
    });
  }

  function toInt(value) {
    if (value === "" || value === null || value === undefined) { return null; }
    var n = Number(value);
    return Number.isInteger(n) ? n : null;
  }

  function clamp(n, low, high) { return Math.max(low, Math.min(high, n)); }

  // The message shown for one API validation error: ours by pydantic's error type, with the
  // API's own (English) message kept as the tooltip.
  function errorText(strings, error) {
    var type = error.type || "";
    if (type === "value_error" && /x \+ w/.test(error.message || "")) { return strings.err_fits; }
    return strings["err_" + type] || error.message || strings.err_value_error;
  }

  function showSlot(slot, messages, tooltip) {
    if (!slot) { return; }
    slot.textContent = messages.join(" · ");
    slot.title = tooltip || "";
    slot.hidden = messages.length === 0;
  }

  // --- the dashboard composer --------------------------------------------------------------

  function Composer(form, state) {
    this.form = form;
    this.state = state;
    this.s = state.strings;
    this.widgets = state.widgets.map(function (w) { return Object.assign({}, w); });
    this.names = Object.assign({}, state.indicator_names);
    this.selected = this.widgets.length ? 0 : -1;
    this.errors = { widgets: {}, fields: {}, general: [] };
    this.searches = {};
    this.grid = document.getElementById("grid-preview");
    this.list = document.getElementById("widget-list");
    this.editor = document.getElementById("widget-editor");
    this.problem = document.getElementById("form-problem");
    this.status = document.getElementById("save-status");
    this.lang = document.documentElement.lang === "en" ? "en" : "vi";
    this.bind();
    this.render();
  }

  Composer.prototype.bind = function () {
    var self = this;
    document.getElementById("add-widget").addEventListener("click", function () {
      self.add(document.getElementById("add-type").value);
    });
    this.form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      self.save();
    });
    var remove = document.getElementById("delete-dashboard");
    if (remove) {
      remove.addEventListener("click", function () { self.destroy(); });
    }
  };

  Composer.prototype.label = function (w) {
    var own = this.lang === "en" ? (w.title_en || w.title_vi) : (w.title_vi || w.title_en);
    if (own) { return own; }
    var code = w.indicator || (w.indicators && w.indicators[0]);
    if (code) { return (this.names[code] && this.names[code].name) || code; }
    return this.state.types[w.type] ? this.state.types[w.type].label : this.s.untitled;
  };

  Composer.prototype.detail = function (w) {
    var codes = w.indicator ? [w.indicator] : (w.indicators || w.counters || w.topics || []);
    var type = this.state.types[w.type] ? this.state.types[w.type].label : w.type;
    return codes.length ? type + " · " + codes.join(", ") : type;
  };

  // The first place, top to bottom and left to right, where a w × h box overlaps nothing.
  Composer.prototype.freeSpot = function (w, hgt) {
    var cols = this.state.columns, widgets = this.widgets;
    var bottom = widgets.reduce(function (m, o) { return Math.max(m, o.y + o.h); }, 0);
    for (var y = 0; y <= bottom; y++) {
      for (var x = 0; x + w <= cols; x++) {
        var clash = widgets.some(function (o) {
          return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + hgt;
        });
        if (!clash) { return { x: x, y: y }; }
      }
    }
    return { x: 0, y: bottom };
  };

  Composer.prototype.newId = function (type) {
    var ids = this.widgets.map(function (w) { return w.id; });
    for (var n = 1; ; n++) {
      var id = type + "-" + n;
      if (ids.indexOf(id) < 0) { return id; }
    }
  };

  Composer.prototype.add = function (type) {
    var spec = this.state.types[type];
    if (!spec) { return; }
    if (this.widgets.length >= this.state.max_widgets) {
      this.showProblem(fmt(this.s.too_many_widgets, { count: this.state.max_widgets }));
      return;
    }
    var spot = this.freeSpot(spec.w, spec.h);
    var widget = JSON.parse(JSON.stringify(spec.defaults));
    Object.assign(widget, {
      id: this.newId(type), title_vi: "", title_en: "", x: spot.x, y: spot.y, w: spec.w, h: spec.h
    });
    this.widgets.push(widget);
    this.selected = this.widgets.length - 1;
    this.render();
    var first = this.editor.querySelector("input[type=search]") || this.editor.querySelector("input");
    if (first) { first.focus(); }
  };

  Composer.prototype.remove = function (index) {
    this.widgets.splice(index, 1);
    this.errors.widgets = {};
    this.selected = Math.min(index, this.widgets.length - 1);
    this.render();
  };

  Composer.prototype.select = function (index) {
    this.selected = index;
    this.render();
  };

  // Moves and resizes keep the widget inside the grid: 12 columns, rows 0–1000, 1–12 high.
  Composer.prototype.place = function (w, change) {
    var cols = this.state.columns;
    var next = Object.assign({ x: w.x, y: w.y, w: w.w, h: w.h }, change);
    next.w = clamp(next.w, 1, cols);
    next.h = clamp(next.h, 1, 12);
    next.x = clamp(next.x, 0, cols - 1);
    next.y = clamp(next.y, 0, 1000);
    if (next.x + next.w > cols) {
      if ("w" in change && !("x" in change)) { next.x = cols - next.w; }
      else { next.w = cols - next.x; }
    }
    w.x = next.x; w.y = next.y; w.w = next.w; w.h = next.h;
  };

  Composer.prototype.nudge = function (index, action) {
    var w = this.widgets[index];
    var changes = {
      left: { x: w.x - 1 }, right: { x: Math.min(w.x + 1, this.state.columns - w.w) },
      up: { y: w.y - 1 }, down: { y: w.y + 1 },
      narrower: { w: w.w - 1 }, wider: { w: w.w + 1 }, shorter: { h: w.h - 1 }, taller: { h: w.h + 1 }
    };
    if (!changes[action]) { return; }
    if (action === "wider" && w.x + w.w >= this.state.columns) { changes.wider = { w: w.w + 1, x: w.x - 1 }; }
    this.place(w, changes[action]);
  };

  // --- drawing -----------------------------------------------------------------------------

  Composer.prototype.render = function () {
    this.renderGrid();
    this.renderList();
    this.renderEditor();
  };

  Composer.prototype.overlaps = function () {
    var found = {};
    var ws = this.widgets;
    for (var i = 0; i < ws.length; i++) {
      for (var j = i + 1; j < ws.length; j++) {
        var a = ws[i], b = ws[j];
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
          found[i] = true; found[j] = true;
        }
      }
    }
    return found;
  };

  Composer.prototype.renderGrid = function () {
    var self = this;
    var rows = this.widgets.reduce(function (m, w) { return Math.max(m, w.y + w.h); }, 0) + 2;
    var overlaps = this.overlaps();
    this.grid.textContent = "";
    this.grid.style.gridTemplateRows = "repeat(" + rows + ", var(--row))";
    this.grid.style.gridTemplateColumns = "repeat(" + this.state.columns + ", 1fr)";
    if (!this.widgets.length) {
      this.grid.appendChild(h("p", { "class": "grid-empty muted", text: this.s.empty_grid }));
    }
    this.widgets.forEach(function (w, index) {
      var title = self.label(w);
      var box = h("div", {
        "class": "grid-box" + (index === self.selected ? " selected" : "") +
          (self.errors.widgets[index] ? " has-error" : "") + (overlaps[index] ? " overlap" : ""),
        role: "listitem",
        tabindex: "0",
        "aria-current": index === self.selected ? "true" : null,
        "aria-label": fmt(self.s.box_label, { title: title, x: w.x, y: w.y, w: w.w, h: w.h }),
        dataset: { testid: "grid-box", id: w.id, type: w.type }
      }, [
        h("span", { "class": "box-title", text: title }),
        h("span", { "class": "box-detail", text: self.detail(w) }),
        h("span", { "class": "box-place", text: w.x + "," + w.y + " · " + w.w + "×" + w.h })
      ]);
      box.style.gridColumn = (w.x + 1) + " / span " + w.w;
      box.style.gridRow = (w.y + 1) + " / span " + w.h;
      box.addEventListener("keydown", function (evt) { self.boxKey(evt, index); });
      box.addEventListener("pointerdown", function (evt) { self.drag(evt, index, box); });
      self.grid.appendChild(box);
    });
  };

  // Arrow keys move the box, Shift + arrows resize it, Enter opens its editor.
  Composer.prototype.boxKey = function (evt, index) {
    var keys = {
      ArrowLeft: ["left", "narrower"], ArrowRight: ["right", "wider"],
      ArrowUp: ["up", "shorter"], ArrowDown: ["down", "taller"]
    };
    if (evt.key === "Enter" || evt.key === " ") {
      evt.preventDefault();
      this.select(index);
      var first = this.editor.querySelector("input, select");
      if (first) { first.focus(); }
      return;
    }
    if (!keys[evt.key]) { return; }
    evt.preventDefault();
    this.selected = index;
    this.nudge(index, keys[evt.key][evt.shiftKey ? 1 : 0]);
    this.render();
    var again = this.grid.querySelectorAll(".grid-box")[index];
    if (again) { again.focus(); }
  };

  // Drag a box to another cell; a press without movement selects it.
  Composer.prototype.drag = function (evt, index, box) {
    if (evt.button !== 0) { return; }
    var self = this;
    var w = this.widgets[index];
    // one column's and one row's pitch: the cell plus the gap between cells
    var style = window.getComputedStyle(this.grid);
    var gap = parseFloat(style.columnGap) || 0;
    var inner = this.grid.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    var cell = (inner + gap) / this.state.columns;
    var rowHeight = (box.getBoundingClientRect().height + gap) / w.h;
    var start = { px: evt.clientX, py: evt.clientY, x: w.x, y: w.y };
    var moved = false;
    box.setPointerCapture(evt.pointerId);
    function move(e) {
      var dx = Math.round((e.clientX - start.px) / cell);
      var dy = Math.round((e.clientY - start.py) / rowHeight);
      if (!moved && Math.abs(e.clientX - start.px) + Math.abs(e.clientY - start.py) < 6) { return; }
      moved = true;
      box.classList.add("dragging");
      self.place(w, { x: clamp(start.x + dx, 0, self.state.columns - w.w), y: start.y + dy });
      box.style.gridColumn = (w.x + 1) + " / span " + w.w;
      box.style.gridRow = (w.y + 1) + " / span " + w.h;
    }
    function up() {
      box.removeEventListener("pointermove", move);
      box.removeEventListener("pointerup", up);
      box.removeEventListener("pointercancel", up);
      self.selected = index;
      self.render();
    }
    box.addEventListener("pointermove", move);
    box.addEventListener("pointerup", up);
    box.addEventListener("pointercancel", up);
  };

  Composer.prototype.renderList = function () {
    var self = this;
    this.list.textContent = "";
    if (!this.widgets.length) {
      this.list.appendChild(h("li", { "class": "muted", text: this.s.no_widgets }));
      return;
    }
    this.widgets.forEach(function (w, index) {
      var errors = self.errors.widgets[index];
      var button = h("button", {
        type: "button",
        "class": "widget-pick",
        "aria-pressed": index === self.selected ? "true" : "false",
        dataset: { testid: "widget-pick" }
      }, [
        h("strong", { text: self.label(w) }),
        h("span", { "class": "muted small", text: " " + self.detail(w) })
      ]);
      button.addEventListener("click", function () { self.select(index); });
      self.list.appendChild(h("li", {
        "class": (index === self.selected ? "selected" : "") + (errors ? " has-error" : ""),
        dataset: { testid: "widget-item", id: w.id }
      }, [
        button,
        errors ? h("span", { "class": "badge error", text: self.s.widget_error }) : null
      ]));
    });
  };

  // One labelled control in the widget editor, with its error slot.
  // ``labelFor`` names the input a composite control's label points at; a group of
  // checkboxes (``labelFor`` false) gets a fieldset and a legend instead.
  Composer.prototype.field = function (name, label, control, help, labelFor) {
    var errors = (this.errors.widgets[this.selected] || {})[name] || [];
    control.id = control.id || "w-" + name;
    control.dataset.key = control.dataset.key || name;
    if (errors.length) { control.setAttribute("aria-invalid", "true"); }
    var slot = h("p", { "class": "field-error", role: "alert", dataset: { errorFor: "widget." + name } });
    showSlot(slot, errors.map(function (e) { return e.text; }), errors.map(function (e) { return e.raw; }).join("\n"));
    var helpNode = help ? h("p", { "class": "muted small", text: help }) : null;
    if (labelFor === false) {
      return h("fieldset", { "class": "wfield wfield-" + name }, [
        h("legend", { text: label }), control, helpNode, slot
      ]);
    }
    return h("div", { "class": "wfield wfield-" + name }, [
      h("label", { "for": labelFor || control.id, text: label }), control, helpNode, slot
    ]);
  };

  Composer.prototype.renderEditor = function () {
    var self = this;
    var active = document.activeElement;
    var focusKey = active && this.editor.contains(active) ? active.dataset.key : null;
    this.editor.textContent = "";
    var w = this.widgets[this.selected];
    this.editor.hidden = !w;
    if (!w) { return; }
    var spec = this.state.types[w.type];
    var s = this.s;
    var index = this.selected;
    var general = (this.errors.widgets[index] || {})._ || [];

    this.editor.appendChild(h("h3", { text: self.label(w) + " · " + (spec ? spec.label : w.type) }));
    if (general.length) {
      this.editor.appendChild(h("p", {
        "class": "alert error", role: "alert", title: general.map(function (e) { return e.raw; }).join("\n"),
        dataset: { testid: "widget-errors" }, text: general.map(function (e) { return e.text; }).join(" · ")
      }));
    }

    function textInput(name, value, attrs) {
      var input = h("input", Object.assign({ type: "text", value: value || "", dataset: { key: name } }, attrs || {}));
      input.addEventListener("input", function () {
        w[name] = input.value;
        self.renderGrid(); self.renderList();
      });
      return input;
    }

    var basics = h("div", { "class": "wgrid" });
    basics.appendChild(this.field("id", s.widget_id, textInput("id", w.id, {
      maxlength: "32", pattern: this.state.widget_id_pattern.replace(/^\^|\$$/g, ""), spellcheck: "false",
      dataset: { key: "id", testid: "widget-id" }
    }), s.widget_id_help));
    basics.appendChild(this.field("title_vi", s.title_vi, textInput("title_vi", w.title_vi, { maxlength: "255", lang: "vi" }), s.title_help));
    basics.appendChild(this.field("title_en", s.title_en, textInput("title_en", w.title_en, { maxlength: "255", lang: "en" })));
    this.editor.appendChild(basics);

    // position and size: numbers, and buttons for keyboard and touch
    var place = h("fieldset", { "class": "wplace" }, [h("legend", { text: s.position })]);
    var numbers = h("div", { "class": "wgrid four" });
    [["x", 0, this.state.columns - 1], ["y", 0, 1000], ["w", 1, this.state.columns], ["h", 1, 12]].forEach(function (d) {
      var input = h("input", {
        type: "number", min: String(d[1]), max: String(d[2]), step: "1", value: String(w[d[0]]),
        inputmode: "numeric", dataset: { key: "pos-" + d[0], testid: "widget-" + d[0] }
      });
      input.addEventListener("change", function () {
        var n = toInt(input.value);
        if (n !== null) { var c = {}; c[d[0]] = n; self.place(w, c); }
        self.render();
      });
      numbers.appendChild(self.field(d[0], s[d[0]], input));
    });
    place.appendChild(numbers);
    var buttons = h("div", { "class": "wbuttons" });
    [["left", "←"], ["right", "→"], ["up", "↑"], ["down", "↓"],
     ["narrower", "↔−"], ["wider", "↔+"], ["shorter", "↕−"], ["taller", "↕+"]].forEach(function (b) {
      var key = b[0] === "narrower" || b[0] === "wider" || b[0] === "shorter" || b[0] === "taller" ? b[0] : "move_" + b[0];
      var button = h("button", {
        type: "button", "class": "icon", title: s[key], "aria-label": s[key],
        dataset: { key: "btn-" + b[0], testid: "widget-" + b[0] }
      }, [b[1]]);
      button.addEventListener("click", function () { self.nudge(index, b[0]); self.render(); });
      buttons.appendChild(button);
    });
    place.appendChild(buttons);
    this.editor.appendChild(place);

    if (spec && spec.options.length) {
      var options = h("fieldset", { "class": "woptions" }, [h("legend", { text: s.options })]);
      spec.options.forEach(function (opt) { options.appendChild(self.option(w, opt)); });
      this.editor.appendChild(options);
    }

    var remove = h("button", { type: "button", "class": "danger", dataset: { key: "remove", testid: "remove-widget" }, text: s.remove });
    remove.addEventListener("click", function () {
      if (window.confirm(s.remove_confirm)) { self.remove(index); }
    });
    this.editor.appendChild(h("p", {}, [remove]));

    if (focusKey) {
      var again = this.editor.querySelector('[data-key="' + focusKey + '"]');
      if (again) { again.focus(); }
    }
  };

  // The control for one type-specific option (see pages_editor.widget_types for the kinds).
  Composer.prototype.option = function (w, opt) {
    var self = this;
    var name = opt.name;
    var control;
    if (opt.kind === "indicator" || opt.kind === "indicators") {
      return this.indicatorPicker(w, opt);
    }
    if (opt.kind === "counters") {
      var boxes = h("div", { "class": "checks", id: "w-counters", dataset: { key: "counters" } });
      this.state.counters.forEach(function (c) {
        var box = h("input", {
          type: "checkbox", value: c.name, checked: (w.counters || []).indexOf(c.name) >= 0,
          dataset: { key: "counter-" + c.name }
        });
        box.addEventListener("change", function () {
          var chosen = (w.counters || []).filter(function (n) { return n !== c.name; });
          if (box.checked) { chosen.push(c.name); }
          w.counters = self.state.counters.map(function (x) { return x.name; })
            .filter(function (n) { return chosen.indexOf(n) >= 0; })
            .concat(chosen.filter(function (n) { return !self.state.counters.some(function (x) { return x.name === n; }); }));
          self.renderGrid(); self.renderList();
        });
        boxes.appendChild(h("label", { "class": "check" }, [box, " " + c.label + " ", h("code", { text: c.name })]));
      });
      return this.field(name, opt.label, boxes, opt.help, false);
    }
    if (opt.kind === "topics") {
      control = h("input", {
        type: "text", value: (w.topics || []).join(", "), list: "feed-topics", spellcheck: "false",
        dataset: { key: "topics" }
      });
      control.addEventListener("input", function () {
        w.topics = control.value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
        self.renderGrid(); self.renderList();
      });
      var list = h("datalist", { id: "feed-topics" }, this.state.topics.map(function (t) { return h("option", { value: t }); }));
      var wrap = this.field(name, opt.label, control, opt.help);
      wrap.appendChild(list);
      return wrap;
    }
    if (opt.kind === "level" || opt.kind === "period_type") {
      var choices = opt.kind === "level" ? this.state.levels : [{ value: "", label: this.s.default }].concat(this.state.period_types);
      control = h("select", { dataset: { key: name } }, choices.map(function (c) {
        return h("option", { value: c.value, selected: (w[name] || "") === c.value, text: c.label });
      }));
      control.addEventListener("change", function () {
        w[name] = control.value || null;
        self.renderGrid();
      });
      return this.field(name, opt.label, control, opt.help);
    }
    if (opt.kind === "bool") {
      control = h("input", { type: "checkbox", checked: !!w[name], dataset: { key: name } });
      control.addEventListener("change", function () { w[name] = control.checked; });
      var field = this.field(name, opt.label, control, opt.help);
      field.classList.add("wfield-check");
      return field;
    }
    control = h("input", {
      type: "number", step: "1", value: w[name] === null || w[name] === undefined ? "" : String(w[name]),
      min: opt.min === undefined ? null : String(opt.min), max: opt.max === undefined ? null : String(opt.max),
      inputmode: "numeric", dataset: { key: name, testid: "widget-" + name }
    });
    control.addEventListener("input", function () {
      var n = toInt(control.value);
      w[name] = n === null ? control.value : n;  // the API explains what is wrong with the rest
    });
    return this.field(name, opt.label, control, opt.help);
  };

  // Chosen indicator(s) and a search of the catalog (GET /api/v1/indicators?q=).
  Composer.prototype.indicatorPicker = function (w, opt) {
    var self = this, s = this.s;
    var multiple = opt.kind === "indicators";
    var chosen = multiple ? (w.indicators || []) : (w.indicator ? [w.indicator] : []);
    var wrap = h("div", { "class": "picker", id: "w-" + opt.name + "-picker" });
    var current = h("ul", { "class": "chosen", dataset: { testid: "chosen-indicators" } });
    if (!chosen.length) { current.appendChild(h("li", { "class": "muted", text: s.none_chosen })); }
    chosen.forEach(function (code, n) {
      var name = self.names[code] ? self.names[code].name : "";
      var item = h("li", { dataset: { code: code } }, [h("code", { text: code }), name ? " " + name : ""]);
      if (multiple) {
        var drop = h("button", {
          type: "button", "class": "icon danger", title: s.remove, "aria-label": s.remove + " " + code,
          dataset: { key: "drop-" + code }
        }, ["✕"]);
        drop.addEventListener("click", function () {
          w.indicators = w.indicators.filter(function (_c, i) { return i !== n; });
          self.render();
        });
        item.appendChild(drop);
      }
      current.appendChild(item);
    });
    wrap.appendChild(current);

    var search = h("input", {
      type: "search", id: "w-" + opt.name, placeholder: s.search_placeholder, autocomplete: "off",
      "aria-label": s.search_indicator, dataset: { key: "search", testid: "indicator-search" }
    });
    var results = h("ul", { "class": "results", "aria-live": "polite", dataset: { testid: "indicator-results" } });
    wrap.appendChild(search);
    wrap.appendChild(results);

    function pick(item) {
      self.names[item.code] = { name: self.lang === "en" ? item.name_en : item.name_vi };
      if (multiple) {
        var list = (w.indicators || []).slice();
        if (list.indexOf(item.code) < 0) {
          if (opt.max_items && list.length >= opt.max_items) {
            results.prepend(h("li", { "class": "field-error", text: fmt(s.too_many, { count: opt.max_items }) }));
            return;
          }
          list.push(item.code);
        }
        w.indicators = list;
      } else {
        w.indicator = item.code;
      }
      if (self.errors.widgets[self.selected]) { delete self.errors.widgets[self.selected][opt.name]; }
      self.render();
      var box = self.editor.querySelector('[data-key="search"]');
      if (box) { box.focus(); }
    }

    function show(items, query) {
      if (search.value.trim() !== query) { return; }
      results.textContent = "";
      if (!items.length) { results.appendChild(h("li", { "class": "muted", text: s.no_results })); }
      items.forEach(function (item) {
        var taken = chosen.indexOf(item.code) >= 0;
        var button = h("button", {
          type: "button", "class": "link pick", disabled: taken,
          dataset: { code: item.code, key: "pick-" + item.code, testid: "pick-indicator" }
        }, [multiple ? s.add : s.choose]);
        button.addEventListener("click", function () { pick(item); });
        results.appendChild(h("li", {}, [
          button, " ", h("code", { text: item.code }), " ",
          self.lang === "en" ? item.name_en : item.name_vi,
          item.measure_unit_vi ? h("span", { "class": "muted small", text: " (" + (self.lang === "en" ? item.measure_unit_en : item.measure_unit_vi) + ")" }) : null
        ]));
      });
    }

    var timer = null;
    function run() {
      var query = search.value.trim();
      self.lastQuery = query;
      if (self.searches[query]) { show(self.searches[query], query); return; }
      results.textContent = "";
      results.appendChild(h("li", { "class": "muted", text: s.searching }));
      var url = "/api/v1/indicators?limit=20" + (query ? "&q=" + encodeURIComponent(query) : "");
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (body) { self.searches[query] = body.items; show(body.items, query); })
        .catch(function () {
          results.textContent = "";
          results.appendChild(h("li", { "class": "field-error", text: s.search_failed }));
        });
    }
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
    search.addEventListener("keydown", function (evt) {
      if (evt.key === "Enter") {  // Enter searches now, it must not submit the dashboard
        evt.preventDefault();
        clearTimeout(timer);
        run();
      }
    });
    if (this.lastQuery) { search.value = this.lastQuery; }
    run();
    var label = multiple ? opt.label + (opt.max_items ? " (≤ " + opt.max_items + ")" : "") : opt.label;
    return this.field(opt.name, label, wrap, opt.help, "w-" + opt.name);
  };

  // --- saving --------------------------------------------------------------------------------

  Composer.prototype.value = function (name) {
    var input = this.form.querySelector('[data-field="' + name + '"]');
    if (!input) { return undefined; }
    return input.type === "checkbox" ? input.checked : input.value;
  };

  // A widget as the API takes it: only the fields its type declares.
  Composer.prototype.clean = function (w) {
    var spec = this.state.types[w.type];
    var out = {};
    (spec ? spec.fields : Object.keys(w)).forEach(function (key) {
      if (w[key] !== undefined) { out[key] = w[key]; }
    });
    return out;
  };

  Composer.prototype.body = function () {
    var body = {
      title_vi: this.value("title_vi"),
      title_en: this.value("title_en"),
      description_vi: this.value("description_vi"),
      description_en: this.value("description_en"),
      period_type: this.value("period_type"),
      reporting_calendar: this.value("reporting_calendar"),
      headline: this.value("headline"),
      widgets: this.widgets.map(this.clean, this)
    };
    if (this.state.mode === "new") {
      body.code = this.value("code").trim();
      body.unit = this.value("unit") || null;
    } else {
      body.version = this.state.version;
    }
    return body;
  };

  Composer.prototype.clearErrors = function () {
    this.errors = { widgets: {}, fields: {}, general: [] };
    this.form.querySelectorAll("[data-error-for]").forEach(function (slot) { showSlot(slot, []); });
    this.form.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
    this.problem.hidden = true;
    this.problem.textContent = "";
  };

  Composer.prototype.showProblem = function (text, withReload) {
    this.problem.textContent = text;
    if (withReload) {
      var link = h("a", { href: window.location.pathname, dataset: { testid: "reload" }, text: this.s.reload });
      this.problem.appendChild(document.createTextNode(" "));
      this.problem.appendChild(link);
    }
    this.problem.hidden = false;
    this.problem.scrollIntoView({ block: "nearest" });
  };

  Composer.prototype.markField = function (name, messages, raw) {
    var slot = this.form.querySelector('[data-error-for="' + name + '"]');
    showSlot(slot, messages, raw);
    var input = this.form.querySelector('[data-field="' + name + '"]');
    if (input) { input.setAttribute("aria-invalid", "true"); }
    return !!slot;
  };

  Composer.prototype.widgetError = function (index, field, text, raw) {
    var mine = this.errors.widgets[index] = this.errors.widgets[index] || {};
    (mine[field] = mine[field] || []).push({ text: text, raw: raw || "" });
  };

  // Checks the API would make too, done first so the page can point at the widget at once.
  Composer.prototype.precheck = function () {
    var self = this, seen = {}, ok = true;
    this.widgets.forEach(function (w, index) {
      if (seen[w.id] !== undefined) {
        self.widgetError(index, "id", self.s.duplicate_id);
        ok = false;
      }
      seen[w.id] = index;
    });
    return ok;
  };

  // Places the API's validation errors next to what they name: ["body", "widgets", 2, "kpi",
  // "indicator"] is widget 2's indicator; ["body", "title_vi"] the title field.
  Composer.prototype.applyErrors = function (errors) {
    var self = this, general = [];
    (errors || []).forEach(function (error) {
      var loc = (error.location || []).slice(error.location && error.location[0] === "body" ? 1 : 0);
      var text = errorText(self.s, error);
      var raw = error.message || "";
      if (loc[0] === "widgets" && loc.length >= 2 && /^\d+$/.test(String(loc[1]))) {
        var index = Number(loc[1]);
        self.widgetError(index, loc.length >= 4 ? String(loc[3]) : "_", text, raw);
        return;
      }
      if (loc.length && self.markField(String(loc[0]), [text], raw)) { return; }
      general.push(loc.length ? loc.join(".") + ": " + text : raw || text);
    });
    return general;
  };

  Composer.prototype.firstWidgetWithErrors = function () {
    var indexes = Object.keys(this.errors.widgets).map(Number).sort(function (a, b) { return a - b; });
    return indexes.length ? indexes[0] : -1;
  };

  Composer.prototype.save = function () {
    var self = this, s = this.s;
    this.clearErrors();
    if (!this.precheck()) {
      this.selected = this.firstWidgetWithErrors();
      this.render();
      this.showProblem(s.fix_errors);
      return;
    }
    var body = this.body();
    var code = this.state.mode === "new" ? body.code : this.state.code;
    var button = this.form.querySelector("[data-testid=save-dashboard]");
    button.disabled = true;
    this.status.textContent = s.saving;
    var request = this.state.mode === "new"
      ? send("POST", "/api/v1/dashboards", body)
      : send("PATCH", "/api/v1/dashboards/" + encodeURIComponent(code), body);
    request.then(function (response) {
      if (response.ok) {
        self.status.textContent = s.saved;
        window.location.assign("/dashboards/" + encodeURIComponent(code));
        return null;
      }
      return problemOf(response).then(function (problem) { self.failed(problem); });
    }).catch(function () {
      self.showProblem(s.network_error);
    }).then(function () {
      button.disabled = false;
      if (self.status.textContent === s.saving) { self.status.textContent = ""; }
    });
  };

  Composer.prototype.failed = function (problem) {
    var s = this.s;
    var code = problem.code || "";
    if (code === "version_conflict") {
      this.showProblem(s.version_conflict, true);
      return;
    }
    if (code === "dashboard_exists" || (code === "conflict" && this.state.mode === "new")) {
      var text = code === "dashboard_exists" ? s.dashboard_exists : (problem.detail || problem.title);
      this.markField("code", [text], problem.detail || "");
      this.showProblem(text);
      return;
    }
    if (code === "unit_not_found" || code === "out_of_scope") {
      this.markField("unit", [problem.title], problem.detail || "");
      this.showProblem(problem.title);
      return;
    }
    var general = code === "validation_error" ? this.applyErrors(problem.errors) : [];
    var first = this.firstWidgetWithErrors();
    if (first >= 0) { this.selected = first; }
    this.render();
    if (this.errors.widgets[this.selected]) {
      // the widget list and grid show which other widgets have errors too
      this.editor.scrollIntoView({ block: "nearest" });
    }
    var lines = [code === "validation_error" ? s.fix_errors : (problem.title || String(problem.status))];
    if (problem.detail && code !== "validation_error") { lines.push(problem.detail); }
    this.showProblem(lines.concat(general).join(" — "));
  };

  Composer.prototype.destroy = function () {
    var s = this.s, self = this;
    if (!window.confirm(s.delete_confirm)) { return; }
    this.clearErrors();
    this.status.textContent = s.deleting;
    send("DELETE", "/api/v1/dashboards/" + encodeURIComponent(this.state.code)).then(function (response) {
      if (response.ok) {
        window.location.assign("/dashboards");
        return null;
      }
      return problemOf(response).then(function (problem) {
        self.status.textContent = "";
        self.showProblem(problem.title || String(problem.status));
      });
    }).catch(function () {
      self.status.textContent = "";
      self.showProblem(s.network_error);
    });
  };

  // --- wall playlists ------------------------------------------------------------------------

  function Playlists(form, strings) {
    this.form = form;
    this.s = strings;
    this.body = document.getElementById("playlist-items");
    this.template = document.getElementById("playlist-item-template");
    this.problem = document.getElementById("form-problem");
    this.status = document.getElementById("save-status");
    var self = this;
    document.getElementById("add-item").addEventListener("click", function () { self.add(); });
    this.body.addEventListener("click", function (evt) {
      var button = evt.target.closest("button[data-action]");
      if (button) { self.act(button.closest("tr"), button.dataset.action, button); }
    });
    form.addEventListener("submit", function (evt) { evt.preventDefault(); self.save(); });
    this.renumber();
  }

  Playlists.prototype.rows = function () {
    return Array.prototype.slice.call(this.body.querySelectorAll("tr.playlist-item"));
  };

  Playlists.prototype.renumber = function () {
    this.rows().forEach(function (row, n) { row.querySelector(".item-number").textContent = String(n + 1); });
  };

  Playlists.prototype.add = function () {
    var row = this.template.content.firstElementChild.cloneNode(true);
    this.body.appendChild(row);
    this.renumber();
    row.querySelector("select").focus();
  };

  Playlists.prototype.act = function (row, action, button) {
    if (action === "up" && row.previousElementSibling) {
      this.body.insertBefore(row, row.previousElementSibling);
    } else if (action === "down" && row.nextElementSibling) {
      this.body.insertBefore(row.nextElementSibling, row);
    } else if (action === "remove") {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      if (next) { next.querySelector("select").focus(); }
      this.renumber();
      return;
    }
    this.renumber();
    button.focus();
  };

  Playlists.prototype.clearErrors = function () {
    this.form.querySelectorAll("[data-error-for]").forEach(function (slot) { showSlot(slot, []); });
    this.form.querySelectorAll("[aria-invalid]").forEach(function (n) { n.removeAttribute("aria-invalid"); });
    this.problem.hidden = true;
  };

  Playlists.prototype.mark = function (scope, name, text, raw) {
    var slot = scope.querySelector('[data-error-for="' + name + '"]');
    var input = scope.querySelector('[data-field="' + name + '"]');
    if (input) { input.setAttribute("aria-invalid", "true"); }
    if (!slot) { return false; }
    showSlot(slot, [text], raw);
    return true;
  };

  Playlists.prototype.save = function () {
    var self = this, s = this.s;
    this.clearErrors();
    var code = this.form.querySelector("#p-code").value.trim();
    var body = {
      code: code,
      name: this.form.querySelector("#p-name").value,
      items: this.rows().map(function (row) {
        var value = function (name) { return row.querySelector('[data-field="' + name + '"]').value.trim(); };
        var seconds = toInt(value("seconds"));
        return {
          dashboard: value("dashboard"),
          unit: value("unit") || null,
          seconds: seconds === null ? value("seconds") : seconds,
          screen: value("screen") ? (toInt(value("screen")) === null ? value("screen") : toInt(value("screen"))) : null
        };
      })
    };
    if (!/^[a-z][a-z0-9_-]{1,63}$/.test(code)) {
      this.mark(this.form, "code", s.err_string_pattern_mismatch);
      this.showProblem(s.fix_errors);
      return;
    }
    if (!body.items.length) {
      this.mark(this.form, "items", s.no_items);
      this.showProblem(s.fix_errors);
      return;
    }
    this.status.textContent = s.saving;
    send("PUT", "/api/v1/wall/playlists/" + encodeURIComponent(code), body).then(function (response) {
      if (response.ok) {
        self.status.textContent = s.saved;
        window.location.assign("/wall/playlists?code=" + encodeURIComponent(code));
        return null;
      }
      return problemOf(response).then(function (problem) {
        self.status.textContent = "";
        var general = [];
        (problem.errors || []).forEach(function (error) {
          var loc = (error.location || []).slice(1);
          var text = errorText(s, error);
          var rows = self.rows();
          if (loc[0] === "items" && /^\d+$/.test(String(loc[1])) && rows[Number(loc[1])] && loc[2]) {
            if (self.mark(rows[Number(loc[1])], String(loc[2]), text, error.message)) { return; }
          }
          if (loc.length && self.mark(self.form, String(loc[0]), text, error.message)) { return; }
          general.push(error.message || text);
        });
        var head = problem.code === "validation_error" ? s.fix_errors : (problem.title || String(problem.status));
        self.showProblem([head].concat(general).join(" — "));
      });
    }).catch(function () {
      self.status.textContent = "";
      self.showProblem(s.network_error);
    });
  };

  Playlists.prototype.showProblem = function (text) {
    this.problem.textContent = text;
    this.problem.hidden = false;
  };

  // --- start ---------------------------------------------------------------------------------

  var dashboardForm = document.getElementById("dashboard-form");
  var editorData = readJSON("editor-data");
  if (dashboardForm && editorData) {
    window.dashboardEditor = new Composer(dashboardForm, editorData);
  }
  var playlistForm = document.getElementById("playlist-form");
  var playlistData = readJSON("playlist-data");
  if (playlistForm && playlistData) {
    window.playlistEditor = new Playlists(playlistForm, playlistData.strings);
  }
})();

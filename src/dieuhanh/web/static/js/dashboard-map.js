// Map widgets of the dashboards: the child units of the shown unit, coloured by value on one
// sequential scale, a click on a unit opens the same dashboard for it.
//
//   window.DHMap = { draw(root, node, data, ui, interactive, kit) }
//
// Without a tile server (the offline default) the map is an Apache ECharts choropleth of the
// shipped outlines. With one (DIEUHANH_TILE_URL, handed to the page as data-tile-* attributes
// on the dashboard grid: the Content-Security-Policy forbids inline scripts) the same outlines
// are drawn with Leaflet over the province's tiles, with the same colours, legend, tooltip and
// drill-down. Units without outlines (communes in the shipped data) are a grid of equal tiles
// either way.
//
// `kit` is what dashboard.js lends: chart(root, node, option) makes an ECharts instance owned by
// the widget, own(root, node, handle) does the same for any drawing with dispose() and
// resize(), and fmt, tr, el, go are its formatting, translation, markup and navigation helpers.
//
// Readiness: a map that still waits for its outlines or its tiles has data-ready="0" on its
// node, and "1" once drawn; the PNG/PDF export waits until no "0" is left. Tiles that fail or
// hang do not hold it: after TILE_WAIT_MS the outlines (the content; tiles are background) are
// ready without them.
(function () {
  "use strict";

  // Sequential single-hue scale for maps and tiles: readable with every colour vision.
  var PALETTE = ["#eff6ff", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a"];
  var NO_VALUE = "#cbd5e1";
  var HOVER = "#f59e0b";
  var TILE_WAIT_MS = 4000;
  var geoCache = {};

  // A colour on the sequential scale for value in [min, max].
  function scale(value, min, max) {
    if (value === null || value === undefined) { return NO_VALUE; }
    var t = max > min ? (value - min) / (max - min) : 1;
    var pos = Math.max(0, Math.min(1, t)) * (PALETTE.length - 1);
    var i = Math.min(PALETTE.length - 2, Math.floor(pos));
    var f = pos - i;
    var a = hex(PALETTE[i]), b = hex(PALETTE[i + 1]);
    return "rgb(" + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(",") + ")";
  }

  function hex(code) {
    return [1, 3, 5].map(function (k) { return parseInt(code.slice(k, k + 2), 16); });
  }

  function darkOn(value, min, max) {
    return value !== null && value !== undefined && max > min && (value - min) / (max - min) > 0.55;
  }

  // min ▭▭▭ max, with the note that units without outlines are tiles where that applies.
  function legendBar(d, ui, kit, note) {
    var min = d.min, max = d.max;
    return kit.el("div", { class: "w-legend" }, [
      kit.el("span", { text: min === null ? "–" : kit.fmt(min, d.indicator.decimals) }),
      kit.el("span", { class: "w-legend-bar", "aria-hidden": "true" }),
      kit.el("span", { text: max === null ? "–" : kit.fmt(max, d.indicator.decimals) }),
      note && !ui.dark ? kit.el("span", { class: "w-legend-note", text: kit.tr("no_geometry") }) : null
    ]);
  }

  // "Phường An Hải" → "An Hải": the level is the same for every tile, the name is what differs.
  function shortName(name) {
    return String(name).replace(/^(Phường|Xã|Thị trấn|Đặc khu|Thành phố|Tỉnh|Quận|Huyện|Thị xã)\s+/, "");
  }

  // Communes have no outlines in the shipped data: a grid of equal tiles, one per unit,
  // coloured on the same scale as the choropleth, best read as "which units stand out".
  function tiles(root, node, d, ui, interactive, kit) {
    var values = d.values.slice().sort(function (a, b) {
      if (a.value === null) { return 1; }
      if (b.value === null) { return -1; }
      return b.value - a.value;
    });
    // labels only where a tile is large enough to read them (the tooltip names the rest)
    var side = Math.sqrt((node.clientWidth * node.clientHeight) / Math.max(1, values.length));
    var labelled = side >= (ui.dark ? 96 : 64);
    var instance = kit.chart(root, node, {
      animation: false,
      tooltip: ui.dark ? { show: false } : { confine: true, formatter: function (p) {
        return p.data ? p.data.unitName + ": " + p.data.text : "";
      } },
      series: [{
        type: "treemap", roam: false, nodeClick: false, sort: false, left: 0, right: 0, top: 0, bottom: 0,
        breadcrumb: { show: false }, squareRatio: 1,
        itemStyle: { borderColor: ui.background, borderWidth: 1, gapWidth: 1 },
        label: {
          show: labelled, fontSize: ui.small, overflow: "truncate",
          formatter: function (p) { return shortName(p.data.unitName) + "\n" + p.data.text; }
        },
        data: values.map(function (v) {
          return {
            name: v.code, value: 1, unitName: v.name, text: v.value_text, link: v.link,
            itemStyle: { color: scale(v.value, d.min, d.max) },
            label: { color: darkOn(v.value, d.min, d.max) ? "#ffffff" : "#0f172a" }
          };
        })
      }]
    });
    if (instance && interactive) {
      instance.on("click", function (p) { if (p.data) { kit.go(p.data.link); } });
    }
  }

  function choropleth(root, node, d, ui, interactive, geo, kit) {
    var key = "dh:" + d.geojson_url;
    if (!echarts.getMap(key)) { echarts.registerMap(key, geo); }
    var byCode = {};
    d.values.forEach(function (v) { byCode[v.code] = v; });
    var instance = kit.chart(root, node, {
      animation: false,
      tooltip: ui.dark ? { show: false } : { trigger: "item", confine: true, formatter: function (p) {
        var v = byCode[p.name];
        return v ? v.name + ": " + v.value_text : p.name;
      } },
      visualMap: {
        type: "continuous", min: d.min === null ? 0 : d.min, max: d.max === null ? 1 : d.max,
        inRange: { color: PALETTE }, calculable: false, orient: "horizontal", left: 0, bottom: 0,
        itemHeight: ui.dark ? 160 : 100, itemWidth: ui.dark ? 16 : 10,
        text: [kit.fmt(d.max, d.indicator.decimals), kit.fmt(d.min, d.indicator.decimals)],
        textStyle: { color: ui.text, fontSize: ui.small }
      },
      series: [{
        type: "map", map: key, nameProperty: "code", roam: false, selectedMode: false,
        top: 4, bottom: ui.dark ? 48 : 36, left: 4, right: 4,
        itemStyle: { borderColor: ui.dark ? "#0f172a" : "#ffffff", borderWidth: 0.8, areaColor: NO_VALUE },
        emphasis: { label: { show: false }, itemStyle: { areaColor: HOVER } },
        label: { show: false },
        data: d.values.map(function (v) { return { name: v.code, value: v.value }; })
      }]
    });
    if (instance && interactive) {
      instance.on("click", function (p) { if (byCode[p.name]) { kit.go(byCode[p.name].link); } });
    }
  }

  // --- over a tile server (Leaflet) -------------------------------------------------------------

  // The tile server the page was given, or null (then: no tiles, the offline ECharts map).
  function tileServer(root, node) {
    var holder = node.closest("[data-tile-url]") || (root.hasAttribute("data-tile-url") ? root : null);
    if (!holder || typeof L === "undefined") { return null; }
    var maxZoom = parseInt(holder.getAttribute("data-tile-max-zoom"), 10);
    return {
      url: holder.getAttribute("data-tile-url"),
      attribution: holder.getAttribute("data-tile-attribution") || "",
      maxZoom: isNaN(maxZoom) ? 18 : maxZoom
    };
  }

  // Leaflet puts attributions into the page as HTML; the configured text is only text.
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function unitCode(feature) {
    return (feature.properties && feature.properties.code) || feature.id;
  }

  // The outlines over the tiles: one path per unit (data-code on it), coloured like the
  // choropleth, the legend in the same corner, the tooltip and the click as there.
  function leaflet(root, node, d, ui, interactive, geo, server, kit) {
    var byCode = {};
    d.values.forEach(function (v) { byCode[v.code] = v; });
    var shapes = L.geoJSON(geo, {
      // the wall shows no tooltips and follows no clicks: nothing to listen to there
      interactive: interactive || !ui.dark,
      style: function (feature) {
        var v = byCode[unitCode(feature)];
        return {
          fillColor: scale(v ? v.value : null, d.min, d.max), fillOpacity: 0.8,
          color: ui.dark ? "#0f172a" : "#ffffff", weight: ui.dark ? 1.5 : 1, opacity: 1,
          className: "w-map-unit"
        };
      }
    });
    var bounds = shapes.getBounds();
    if (!bounds.isValid()) { throw new Error("no outlines"); }
    node.classList.add("w-map-tiles");
    var map = L.map(node, {
      zoomControl: interactive, attributionControl: false, dragging: interactive,
      touchZoom: interactive, doubleClickZoom: interactive, boxZoom: interactive, keyboard: interactive,
      scrollWheelZoom: false, zoomSnap: 0.25, zoomDelta: 0.5, fadeAnimation: false,
      zoomAnimation: interactive, markerZoomAnimation: false, maxZoom: server.maxZoom
    });
    var timer = null;
    var handle = kit.own(root, node, {
      dispose: function () { clearTimeout(timer); map.remove(); },
      resize: function () { map.invalidateSize(); }
    });
    node.__dhLeaflet = map;
    function ready() {
      clearTimeout(timer);
      node.setAttribute("data-ready", "1");
    }
    try {
      map.fitBounds(bounds, { padding: [6, 6], maxZoom: server.maxZoom, animate: false });
      L.control.attribution({ prefix: "Leaflet" }).addTo(map);
      var layer = L.tileLayer(server.url, {
        maxZoom: server.maxZoom, maxNativeZoom: server.maxZoom,
        attribution: escapeHtml(server.attribution)
      });
      // a tile that failed is left blank rather than drawn as a broken image
      layer.on("tileerror", function (event) { event.tile.style.visibility = "hidden"; });
      layer.once("load", ready); // every tile in view has answered, well or not
      timer = setTimeout(ready, TILE_WAIT_MS);
      layer.addTo(map);
      shapes.addTo(map);
      shapes.eachLayer(function (shape) {
        var code = unitCode(shape.feature);
        var v = byCode[code];
        var path = shape.getElement();
        if (path) { path.setAttribute("data-code", code); }
        if (!ui.dark) {
          var name = v ? v.name : (shape.feature.properties && shape.feature.properties.name) || code;
          shape.bindTooltip(kit.el("span", { text: v ? name + ": " + v.value_text : name }), {
            sticky: true, direction: "top", className: "w-map-tip"
          });
          shape.on("mouseover", function () { shape.setStyle({ fillColor: HOVER }); });
          shape.on("mouseout", function () { shapes.resetStyle(shape); });
        }
        if (interactive && v) {
          shape.on("click", function () { kit.go(v.link); });
        }
      });
      var legend = L.control({ position: "bottomleft" });
      legend.onAdd = function () {
        var box = legendBar(d, ui, kit, false);
        box.classList.add("w-map-legend");
        return box;
      };
      legend.addTo(map);
    } catch (err) {
      handle.dispose();
      delete node.__dhLeaflet;
      node.classList.remove("w-map-tiles");
      throw err;
    }
  }

  // --- public -----------------------------------------------------------------------------------

  function draw(root, node, d, ui, interactive, kit) {
    if (!node) { return; }
    if (!d.geojson_url) {
      tiles(root, node, d, ui, interactive, kit);
      node.parentNode.appendChild(legendBar(d, ui, kit, true));
      node.setAttribute("data-ready", "1");
      return;
    }
    node.setAttribute("data-ready", "0");
    var promise = geoCache[d.geojson_url] || fetch(d.geojson_url, {
      credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
    geoCache[d.geojson_url] = promise;
    promise.then(function (geo) {
      if (!node.isConnected) { return; }
      var server = tileServer(root, node);
      if (server) {
        leaflet(root, node, d, ui, interactive, geo, server, kit); // ready when its tiles are
      } else {
        choropleth(root, node, d, ui, interactive, geo, kit);
        node.setAttribute("data-ready", "1");
      }
    }).catch(function (err) {
      if (window.console) { console.warn(err); }
      delete geoCache[d.geojson_url];
      if (node.isConnected) {
        tiles(root, node, d, ui, interactive, kit);
        node.setAttribute("data-ready", "1");
      }
    });
  }

  window.DHMap = { draw: draw, scale: scale };
})();

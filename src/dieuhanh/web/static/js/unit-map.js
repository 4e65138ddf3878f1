// Draws a unit's outline (GeoJSON from the units API) on an element with data-geojson.
// No tile server (the default): the map is the polygon itself, drawn with the bundled Apache
// ECharts, so it works without internet. With one (DIEUHANH_TILE_URL, given to the page as
// data-tile-* attributes on the element; the CSP forbids inline scripts) the outline is drawn
// with Leaflet over the province's tiles. Whatever the element holds (the units pages' server
// drawn SVG) stays until the map replaces it, and stays if the outline cannot be loaded.
//
// data-ready: "0" while loading, "1" when drawn (over tiles: once they answered, or after
// TILE_WAIT_MS without them), "error" when the outline could not be loaded.
(function () {
  "use strict";
  var TILE_WAIT_MS = 4000;
  var FILL = "#fde68a", BORDER = "#b91c1c", HOVER = "#fbbf24";

  function tileServer(el) {
    var url = el.getAttribute("data-tile-url");
    if (!url || typeof L === "undefined") { return null; }
    var maxZoom = parseInt(el.getAttribute("data-tile-max-zoom"), 10);
    return {
      url: url,
      attribution: el.getAttribute("data-tile-attribution") || "",
      maxZoom: isNaN(maxZoom) ? 18 : maxZoom
    };
  }

  // Leaflet puts attributions into the page as HTML; the configured text is only text.
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function withEcharts(el, collection) {
    var key = "unit-" + (el.getAttribute("data-code") || "map");
    echarts.registerMap(key, collection);
    el.textContent = "";
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "item", formatter: "{b}" },
      series: [{
        type: "map", map: key, roam: true, selectedMode: false,
        label: { show: false },
        itemStyle: { areaColor: FILL, borderColor: BORDER, borderWidth: 1.5 },
        emphasis: { itemStyle: { areaColor: HOVER }, label: { show: true } }
      }]
    });
    el.setAttribute("data-ready", "1");
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function withTiles(el, collection, name, server) {
    var shape = L.geoJSON(collection, {
      style: { color: BORDER, weight: 1.5, fillColor: FILL, fillOpacity: 0.45 }
    });
    var bounds = shape.getBounds();
    if (!bounds.isValid()) { throw new Error("no outline"); }
    el.textContent = "";
    var map = L.map(el, {
      zoomControl: false, scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25,
      fadeAnimation: false, maxZoom: server.maxZoom
    });
    map.fitBounds(bounds, { padding: [4, 4], maxZoom: server.maxZoom, animate: false });
    L.control.attribution({ prefix: "Leaflet" }).addTo(map);
    var timer = null;
    function ready() {
      clearTimeout(timer);
      el.setAttribute("data-ready", "1");
    }
    var layer = L.tileLayer(server.url, {
      maxZoom: server.maxZoom, maxNativeZoom: server.maxZoom,
      attribution: escapeHtml(server.attribution)
    });
    layer.on("tileerror", function (event) { event.tile.style.visibility = "hidden"; });
    layer.once("load", ready);
    timer = setTimeout(ready, TILE_WAIT_MS);
    layer.addTo(map);
    shape.addTo(map);
    shape.eachLayer(function (part) {
      var label = document.createElement("span");
      label.textContent = (part.feature.properties && part.feature.properties.name) || name;
      part.bindTooltip(label, { sticky: true, direction: "top" });
      part.on("mouseover", function () { part.setStyle({ fillColor: HOVER }); });
      part.on("mouseout", function () { shape.resetStyle(part); });
    });
    el.__dhLeaflet = map;
    window.addEventListener("resize", function () { map.invalidateSize(); });
  }

  function draw(el) {
    var url = el.getAttribute("data-geojson");
    var name = el.getAttribute("data-name") || "";
    var server = tileServer(el);
    if (!url || (!server && typeof echarts === "undefined")) { return; }
    el.setAttribute("data-ready", "0");
    fetch(url, { headers: { Accept: "application/geo+json, application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (geo) {
        var collection = geo.type === "FeatureCollection" ? geo : { type: "FeatureCollection", features: [geo] };
        collection.features.forEach(function (f) {
          f.properties = f.properties || {};
          f.properties.name = f.properties.name || name;
        });
        if (server) { withTiles(el, collection, name, server); } else { withEcharts(el, collection); }
      })
      .catch(function (err) {
        el.setAttribute("data-ready", "error");
        if (!el.firstElementChild) { el.textContent = el.getAttribute("data-error") || String(err); }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-geojson]").forEach(draw);
  });
})();

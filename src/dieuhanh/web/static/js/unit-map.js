// Draws a unit's outline (GeoJSON from the units API) with the bundled Apache ECharts.
// No tiles: the map is the polygon itself, so it works without internet.
(function () {
  "use strict";
  function draw(el) {
    var url = el.getAttribute("data-geojson");
    var name = el.getAttribute("data-name") || "";
    if (!url || typeof echarts === "undefined") { return; }
    fetch(url, { headers: { Accept: "application/geo+json, application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (geo) {
        var collection = geo.type === "FeatureCollection" ? geo : { type: "FeatureCollection", features: [geo] };
        collection.features.forEach(function (f) {
          f.properties = f.properties || {};
          f.properties.name = f.properties.name || name;
        });
        var key = "unit-" + (el.getAttribute("data-code") || "map");
        echarts.registerMap(key, collection);
        var chart = echarts.init(el, null, { renderer: "svg" });
        chart.setOption({
          tooltip: { trigger: "item", formatter: "{b}" },
          series: [{
            type: "map", map: key, roam: true, selectedMode: false,
            label: { show: false },
            itemStyle: { areaColor: "#fde68a", borderColor: "#b91c1c", borderWidth: 1.5 },
            emphasis: { itemStyle: { areaColor: "#fbbf24" }, label: { show: true } }
          }]
        });
        el.setAttribute("data-ready", "1");
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function (err) {
        el.setAttribute("data-ready", "error");
        el.textContent = el.getAttribute("data-error") || String(err);
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-geojson]").forEach(draw);
  });
})();

/* global document, window, L */
// The village map: report points on Leaflet (served by the app). Without tiles (none
// configured, or they fail to load) the points sit on a plain grid with the village names.
(function () {
  'use strict';
  var el = document.getElementById('map');
  var src = document.getElementById('map-data');
  if (!el || !src || !window.L) return;
  var data = JSON.parse(src.textContent || '{}');
  var points = data.points || [];
  if (!points.length) return;
  var map = L.map(el, { attributionControl: !!data.tiles, maxZoom: 16 });
  var colours = data.colours || {};
  var bounds = L.latLngBounds(points.map(function (p) { return [p.lat, p.lng]; }));
  // One point (or a few on one spot) has no extent: show about 4 km around it, not the maximum zoom.
  var MIN_SPAN = 0.04;
  if (bounds.getNorth() - bounds.getSouth() < MIN_SPAN && bounds.getEast() - bounds.getWest() < MIN_SPAN) {
    var c = bounds.getCenter();
    bounds = L.latLngBounds([c.lat - MIN_SPAN / 2, c.lng - MIN_SPAN / 2], [c.lat + MIN_SPAN / 2, c.lng + MIN_SPAN / 2]);
  }
  bounds = bounds.pad(0.25);
  // The view first: layers (tooltips above all) need a map that has one.
  map.fitBounds(bounds);
  function grid() {
    var south = bounds.getSouth(), north = bounds.getNorth(), west = bounds.getWest(), east = bounds.getEast();
    var span = Math.max(north - south, east - west, 0.01);
    var step = Math.pow(10, Math.floor(Math.log10(span))) / 2;
    var lines = L.layerGroup();
    for (var lat = Math.floor((south - 2 * span) / step) * step; lat <= north + 2 * span; lat += step) {
      L.polyline([[lat, west - 10 * span], [lat, east + 10 * span]], { color: '#b8c4be', weight: 1, interactive: false }).addTo(lines);
    }
    for (var lng = Math.floor((west - 3 * span) / step) * step; lng <= east + 3 * span; lng += step) {
      L.polyline([[south - 10 * span, lng], [north + 10 * span, lng]], { color: '#b8c4be', weight: 1, interactive: false }).addTo(lines);
    }
    // Village names at the middle of their points.
    var byVillage = {};
    points.forEach(function (p) {
      var v = byVillage[p.village] || (byVillage[p.village] = { lat: 0, lng: 0, n: 0 });
      v.lat += p.lat; v.lng += p.lng; v.n += 1;
    });
    Object.keys(byVillage).forEach(function (name) {
      var v = byVillage[name];
      L.tooltip({ permanent: true, direction: 'top', className: 'map-label', offset: [0, -8] })
        .setLatLng([v.lat / v.n, v.lng / v.n]).setContent(name).addTo(lines);
    });
    lines.addTo(map);
    el.setAttribute('data-mode', 'grid');
  }
  if (data.tiles) {
    var failed = 0;
    var tiles = L.tileLayer(data.tiles, { maxZoom: 17, attribution: '&copy; OpenStreetMap' });
    tiles.on('tileerror', function () { failed += 1; if (failed === 3) { map.removeLayer(tiles); grid(); } });
    tiles.addTo(map);
    el.setAttribute('data-mode', 'tiles');
  } else {
    grid();
  }
  points.forEach(function (p) {
    L.circleMarker([p.lat, p.lng], { radius: 7, color: '#fff', weight: 1, fillColor: colours[p.status] || '#d9822b', fillOpacity: 0.9 })
      .bindPopup('<a href="/app/laporan/' + encodeURIComponent(p.id) + '"></a>')
      .on('popupopen', function (e) {
        var a = e.popup.getElement().querySelector('a');
        a.textContent = p.date + ' · ' + p.label + ' · ' + p.village;
      })
      .addTo(map);
  });
  el.setAttribute('data-zoom', String(map.getZoom()));
  el.setAttribute('data-points', String(points.length));
})();

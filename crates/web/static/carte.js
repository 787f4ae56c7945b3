// Map of the search results (progressive enhancement: the list on the page works without it).
// Reads the places from the JSON data island; builds popups with DOM text nodes only.
(function () {
  'use strict';
  var box = document.getElementById('carte');
  var data = document.getElementById('lieux-data');
  if (!box || !data || typeof window.L === 'undefined') { return; }
  var places;
  try { places = JSON.parse(data.textContent || '[]'); } catch (e) { return; }
  box.textContent = '';
  box.classList.add('ready');
  var map = window.L.map(box, { keyboard: true, scrollWheelZoom: false, minZoom: 3, maxZoom: 18, zoomControl: false });
  // The zoom buttons in French (their title is also their accessible name).
  window.L.control.zoom({ zoomInTitle: 'Rapprocher la carte', zoomOutTitle: 'Éloigner la carte' }).addTo(map);
  var tiles = box.getAttribute('data-tiles');
  if (tiles) {
    window.L.tileLayer(tiles, {
      maxZoom: 18,
      attribution: '© contributeurs <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    }).addTo(map);
  }
  var icon = window.L.icon({
    iconUrl: '/static/vendor/marker-icon.png', iconRetinaUrl: '/static/vendor/marker-icon-2x.png',
    shadowUrl: '/static/vendor/marker-shadow.png', iconSize: [25, 41], iconAnchor: [12, 41],
    popupAnchor: [1, -34], shadowSize: [41, 41]
  });
  var group = typeof window.L.markerClusterGroup === 'function'
    ? window.L.markerClusterGroup({
      showCoverageOnHover: false,
      // A group of places says what it is, not only a number.
      iconCreateFunction: function (cluster) {
        var n = cluster.getChildCount();
        var size = n < 10 ? 'small' : (n < 100 ? 'medium' : 'large');
        return window.L.divIcon({
          html: '<div><span>' + n + '<span class="visually-hidden"> lieux proches les uns des autres : rapprochez la carte pour les voir</span></span></div>',
          className: 'marker-cluster marker-cluster-' + size,
          iconSize: window.L.point(40, 40)
        });
      }
    })
    : window.L.featureGroup();
  // A territory's layer (issue #20): the communes coloured as on the territory's page, under
  // the places; the legend and the table are on the pages themselves.
  var layerData = document.getElementById('couche-data');
  var layer = null;
  if (layerData) {
    try {
      layer = window.L.geoJSON(JSON.parse(layerData.textContent || '{}'), {
        style: function (f) {
          return { fillColor: f.properties.couleur, fillOpacity: 0.6, color: '#4a5260', weight: 0.6 };
        },
        onEachFeature: function (f, l) {
          l.options.className = 'commune ' + f.properties.classe;
          l.bindTooltip(document.createTextNode(f.properties.libelle), { sticky: true });
        }
      }).addTo(map);
    } catch (e) { layer = null; }
  }
  places.forEach(function (p) {
    var popup = document.createElement('div');
    var link = document.createElement('a');
    link.href = '/lieux/' + encodeURIComponent(p.id);
    link.textContent = p.nom;
    var address = document.createElement('p');
    address.textContent = p.adresse;
    popup.appendChild(link);
    popup.appendChild(address);
    group.addLayer(window.L.marker([p.lat, p.lon], { icon: icon, title: p.nom, alt: p.nom }).bindPopup(popup));
  });
  map.addLayer(group);
  if (layer && layer.getLayers().length > 0) {
    map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  } else if (places.length > 0) {
    map.fitBounds(group.getBounds(), { padding: [20, 20], maxZoom: 15 });
  } else {
    map.setView([46.6, 2.4], 5);
  }
}());

// Derives dns-server/src/main/resources/status/world-map.tsv from Natural Earth 110m country shapes
// (npm world-atlas, TopoJSON), ISO 3166-1 numeric -> alpha-2 codes (npm i18n-iso-countries) and
// alpha-2 -> continent codes (npm countries-list). Run by make-world-map.sh, which fetches and checks
// the three packages; this file only reads them. Usage: node world-map.js ATLAS CODES COUNTRIES OUT
'use strict';
const fs = require('fs');

const [atlasFile, codesFile, countriesFile, outFile] = process.argv.slice(2);
const topology = JSON.parse(fs.readFileSync(atlasFile, 'utf8'));
const codes = JSON.parse(fs.readFileSync(codesFile, 'utf8'));
const countries = JSON.parse(fs.readFileSync(countriesFile, 'utf8'));

// Shapes that Natural Earth draws without an ISO numeric code: the code GeoIP databases use for them.
const UNCODED = { Kosovo: 'XK', 'N. Cyprus': 'CY', Somaliland: 'SO' };

const alpha2ByNumeric = new Map(codes.map(([alpha2, , numeric]) => [numeric, alpha2]));
const [sx, sy] = topology.transform.scale;
const [tx, ty] = topology.transform.translate;
// TopoJSON arcs are delta-encoded quantized points: decode each into [lon, lat] pairs once.
const arcs = topology.arcs.map((arc) => {
  let x = 0;
  let y = 0;
  return arc.map(([dx, dy]) => {
    x += dx;
    y += dy;
    return [x * sx + tx, y * sy + ty];
  });
});

// A ring that crosses the antimeridian (Russia, Fiji) jumps from 180 to -180: its longitudes are
// unwrapped to stay continuous (beyond +-180), and the polygon is drawn a second time shifted by 360.
function ring(indexes) {
  const points = [];
  for (const index of indexes) {
    const arc = index >= 0 ? arcs[index] : arcs[~index].slice().reverse();
    points.push(...(points.length ? arc.slice(1) : arc));
  }
  for (let i = 1; i < points.length; i++) {
    let lon = points[i][0];
    while (lon - points[i - 1][0] > 180) lon -= 360;
    while (lon - points[i - 1][0] < -180) lon += 360;
    points[i] = [lon, points[i][1]];
  }
  return points;
}

// Equirectangular, 1 unit = 1 degree: x = lon + 180, y = 90 - lat, rounded to 0.1 degree.
const round = (v) => Math.round(v * 10) / 10;
function ringPath(points, shift) {
  let d = '';
  let last = null;
  for (const [lon, lat] of points) {
    const p = round(lon + shift + 180) + ' ' + round(90 - lat);
    if (p !== last) {
      d += (d ? 'L' : 'M') + p;
      last = p;
    }
  }
  return d + 'Z';
}

/** Signed area and centroid of a ring (shoelace). */
function areaCentroid(points) {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const f = points[j][0] * points[i][1] - points[i][0] * points[j][1];
    a += f;
    cx += (points[j][0] + points[i][0]) * f;
    cy += (points[j][1] + points[i][1]) * f;
  }
  return { area: Math.abs(a / 2), lon: cx / (3 * a), lat: cy / (3 * a) };
}

const byCode = new Map();
for (const g of topology.objects.countries.geometries) {
  const code = g.id ? alpha2ByNumeric.get(g.id) : UNCODED[g.properties.name];
  if (!code) {
    throw new Error('no ISO alpha-2 code for ' + g.id + ' ' + g.properties.name);
  }
  const continent = countries[code] && countries[code].continent;
  if (!continent) {
    throw new Error('no continent for ' + code);
  }
  const polygons = g.type === 'Polygon' ? [g.arcs] : g.arcs;
  const entry = byCode.get(code) || { continent, paths: [], largest: null };
  for (const polygon of polygons) {
    const rings = polygon.map(ring);
    const lons = rings[0].map(([lon]) => lon);
    const shifts = [0];
    if (Math.max(...lons) > 180) shifts.push(-360);
    if (Math.min(...lons) < -180) shifts.push(360);
    for (const shift of shifts) {
      entry.paths.push(rings.map((r) => ringPath(r, shift)).join(''));
    }
    const outer = areaCentroid(rings[0]);
    outer.lon = ((outer.lon + 540) % 360) - 180;
    if (!entry.largest || outer.area > entry.largest.area) {
      entry.largest = outer;
    }
  }
  byCode.set(code, entry);
}

const lines = [
  '# Country shapes for the status page map, made by dns-server/map/make-world-map.sh; do not edit.',
  '# code, continent, latitude and longitude of the centroid of the largest polygon, SVG path in',
  '# an equirectangular projection (x = longitude + 180, y = 90 - latitude, 0.1 degree).',
  '# Sources and licences: world-map.NOTICE.txt beside this file.',
];
for (const code of [...byCode.keys()].sort()) {
  const e = byCode.get(code);
  lines.push([code, e.continent, e.largest.lat.toFixed(2), e.largest.lon.toFixed(2), e.paths.join('')].join('\t'));
}
fs.writeFileSync(outFile, lines.join('\n') + '\n');
console.log('wrote ' + byCode.size + ' countries to ' + outFile);

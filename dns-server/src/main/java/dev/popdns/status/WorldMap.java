package dev.popdns.status;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The country shapes of the status page map, read once from the resource {@code
 * /status/world-map.tsv} (Natural Earth 110m, derived by {@code dns-server/map/make-world-map.sh};
 * sources and licences in {@code /status/world-map.NOTICE.txt}). Immutable after class loading.
 */
final class WorldMap {
    /** A country: ISO alpha-2 code, MaxMind continent code, a representative point, its SVG path. */
    record Country(String code, String continent, double latitude, double longitude, String path) {}

    /** Every country of the map, sorted by code. */
    static final List<Country> COUNTRIES = load("/status/world-map.tsv");

    /** The countries as inline SVG (equirectangular, 1 unit = 1 degree), one path per country. */
    static final String SVG = svg(COUNTRIES);

    private WorldMap() {}

    private static List<Country> load(String resource) {
        List<Country> countries = new ArrayList<>();
        try (InputStream in = WorldMap.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                if (line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                if (f.length != 5) {
                    throw new IllegalStateException(
                            resource + ":" + number + ": " + f.length + " fields (expected: 5)");
                }
                countries.add(new Country(f[0], f[1], Double.parseDouble(f[2]), Double.parseDouble(f[3]), f[4]));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + resource, e);
        }
        return List.copyOf(countries);
    }

    private static String svg(List<Country> countries) {
        StringBuilder svg = new StringBuilder(countries.size() * 800);
        svg.append("<svg id=\"world-map\" viewBox=\"0 0 360 180\" role=\"img\"")
                .append(" aria-label=\"World map: countries coloured by the PoP their clients get\">")
                .append("<rect class=\"sea\" width=\"360\" height=\"180\"/><g id=\"map-countries\">");
        for (Country c : countries) {
            svg.append("<path data-cc=\"")
                    .append(c.code())
                    .append("\" d=\"")
                    .append(c.path())
                    .append("\"><title>")
                    .append(c.code())
                    .append("</title></path>");
        }
        return svg.append("</g><g id=\"map-pops\"></g></svg>").toString();
    }
}

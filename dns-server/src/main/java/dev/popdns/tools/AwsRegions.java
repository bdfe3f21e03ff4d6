package dev.popdns.tools;

import java.util.Map;

/**
 * Where the AWS regions are, for turning a Route 53 latency or geoproximity record set into a PoP
 * location: the coordinates of the city each region is named after or announced in (AWS publishes
 * no exact sites). A few tens of kilometres off changes no client's nearest PoP in practice.
 */
public final class AwsRegions {
    /** A region's city and coordinates. */
    public record Site(String city, double latitude, double longitude) {}

    private static final Map<String, Site> SITES = Map.ofEntries(
            Map.entry("us-east-1", new Site("N. Virginia", 39.04, -77.49)),
            Map.entry("us-east-2", new Site("Ohio", 39.96, -83.00)),
            Map.entry("us-west-1", new Site("N. California", 37.35, -121.96)),
            Map.entry("us-west-2", new Site("Oregon", 45.84, -119.70)),
            Map.entry("ca-central-1", new Site("Montreal", 45.50, -73.57)),
            Map.entry("ca-west-1", new Site("Calgary", 51.05, -114.07)),
            Map.entry("mx-central-1", new Site("Queretaro", 20.59, -100.39)),
            Map.entry("sa-east-1", new Site("Sao Paulo", -23.55, -46.63)),
            Map.entry("eu-west-1", new Site("Ireland", 53.35, -6.26)),
            Map.entry("eu-west-2", new Site("London", 51.51, -0.13)),
            Map.entry("eu-west-3", new Site("Paris", 48.86, 2.35)),
            Map.entry("eu-central-1", new Site("Frankfurt", 50.11, 8.68)),
            Map.entry("eu-central-2", new Site("Zurich", 47.38, 8.54)),
            Map.entry("eu-north-1", new Site("Stockholm", 59.33, 18.07)),
            Map.entry("eu-south-1", new Site("Milan", 45.46, 9.19)),
            Map.entry("eu-south-2", new Site("Spain (Aragon)", 41.65, -0.88)),
            Map.entry("il-central-1", new Site("Tel Aviv", 32.09, 34.78)),
            Map.entry("me-south-1", new Site("Bahrain", 26.23, 50.59)),
            Map.entry("me-central-1", new Site("UAE", 25.20, 55.27)),
            Map.entry("af-south-1", new Site("Cape Town", -33.92, 18.42)),
            Map.entry("ap-east-1", new Site("Hong Kong", 22.32, 114.17)),
            Map.entry("ap-east-2", new Site("Taipei", 25.03, 121.57)),
            Map.entry("ap-south-1", new Site("Mumbai", 19.08, 72.88)),
            Map.entry("ap-south-2", new Site("Hyderabad", 17.39, 78.49)),
            Map.entry("ap-southeast-1", new Site("Singapore", 1.35, 103.82)),
            Map.entry("ap-southeast-2", new Site("Sydney", -33.87, 151.21)),
            Map.entry("ap-southeast-3", new Site("Jakarta", -6.21, 106.85)),
            Map.entry("ap-southeast-4", new Site("Melbourne", -37.81, 144.96)),
            Map.entry("ap-southeast-5", new Site("Malaysia", 3.14, 101.69)),
            Map.entry("ap-southeast-7", new Site("Thailand", 13.76, 100.50)),
            Map.entry("ap-northeast-1", new Site("Tokyo", 35.68, 139.69)),
            Map.entry("ap-northeast-2", new Site("Seoul", 37.57, 126.98)),
            Map.entry("ap-northeast-3", new Site("Osaka", 34.69, 135.50)),
            Map.entry("cn-north-1", new Site("Beijing", 39.90, 116.41)),
            Map.entry("cn-northwest-1", new Site("Ningxia", 37.50, 105.19)),
            Map.entry("us-gov-east-1", new Site("GovCloud (US-East), Ohio", 39.96, -83.00)),
            Map.entry("us-gov-west-1", new Site("GovCloud (US-West), Oregon", 45.84, -119.70)));

    /** A city in the middle of each continent's population, for PoPs known only from a geolocation record. */
    private static final Map<String, Site> CONTINENTS = Map.of(
            "AF", new Site("Johannesburg", -26.20, 28.05),
            "AN", new Site("McMurdo Station", -77.85, 166.67),
            "AS", new Site("Singapore", 1.35, 103.82),
            "EU", new Site("Frankfurt", 50.11, 8.68),
            "NA", new Site("N. Virginia", 39.04, -77.49),
            "OC", new Site("Sydney", -33.87, 151.21),
            "SA", new Site("Sao Paulo", -23.55, -46.63));

    private AwsRegions() {}

    /** The region's site, or null for a region this table does not know. */
    public static Site region(String name) {
        return SITES.get(name);
    }

    /** A representative city for a continent code ({@code AF AN AS EU NA OC SA}), or null. */
    public static Site continent(String code) {
        return CONTINENTS.get(code);
    }
}

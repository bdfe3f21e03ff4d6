package dev.popdns.geoip;

/** Great-circle distance on a spherical Earth (haversine formula). */
public final class Distance {

    /** Mean Earth radius in kilometres (IUGG). */
    public static final double EARTH_RADIUS_KM = 6371.0088;

    private Distance() {}

    /**
     * Returns the great-circle distance between two points, in kilometres.
     *
     * <p>Pure arithmetic, no allocation; symmetric; 0 for equal points. The spherical model is
     * within about 0.5 % of the ellipsoid, ample for ranking PoPs.
     *
     * @param latitude1 degrees north of the first point
     * @param longitude1 degrees east of the first point
     * @param latitude2 degrees north of the second point
     * @param longitude2 degrees east of the second point
     * @return the distance in kilometres, 0..{@code PI * EARTH_RADIUS_KM}; {@code NaN} when any
     *     argument is {@code NaN}
     */
    public static double kilometres(double latitude1, double longitude1, double latitude2, double longitude2) {
        double phi1 = Math.toRadians(latitude1);
        double phi2 = Math.toRadians(latitude2);
        double halfDeltaPhi = (phi2 - phi1) / 2;
        double halfDeltaLambda = Math.toRadians(longitude2 - longitude1) / 2;
        double sinPhi = Math.sin(halfDeltaPhi);
        double sinLambda = Math.sin(halfDeltaLambda);
        double a = sinPhi * sinPhi + Math.cos(phi1) * Math.cos(phi2) * sinLambda * sinLambda;
        // min(1, ...) keeps rounding from pushing asin out of its domain for antipodal points.
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1.0, a)));
    }
}

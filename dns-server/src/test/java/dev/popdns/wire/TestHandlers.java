package dev.popdns.wire;

import dev.popdns.routing.ClientRankings;
import dev.popdns.routing.Eligibility;
import dev.popdns.served.Served;

/** The query handler the wire tests run: zones without GeoIP, admin drains only, a small cache. */
final class TestHandlers {
    private TestHandlers() {}

    /** A handler over {@code served} that places no client (every geo name answers from its ranking's head). */
    static QueryHandler unlocated(Served served, QueryMetrics metrics, QueryHandler.AnswerListener answers) {
        return unlocated(served, metrics, answers, null);
    }

    /** {@link #unlocated(Served, QueryMetrics, QueryHandler.AnswerListener)} with {@code limiter} (or none). */
    static QueryHandler unlocated(
            Served served, QueryMetrics metrics, QueryHandler.AnswerListener answers, RateLimiter limiter) {
        return new QueryHandler(
                new Snapshot.Holder(
                        served.zones(),
                        served.routing(),
                        ClientRankings.unlocated(served.routing()),
                        Eligibility.adminOnly(),
                        1000),
                new Answerer(ServerIdentity.none()),
                new ClientLocator(),
                metrics,
                answers,
                Cookies.random(),
                limiter);
    }
}

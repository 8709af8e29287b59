package streamtop.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What the Flink peer runs with: the job contract's arguments (peers/README.md), checked, with this
 * peer's defaults, and the lines that tell the runner which settings it cannot honour.
 */
final class FlinkSettings {
    /** The reference job: event-time windows, per-partition watermarks with idleness. */
    static final String REFERENCE = "";
    /** The 2017 processing-time job: a 5 s processing-time dedup window chained into the sum window. */
    static final String CHAINED = "chained-processing-windows";
    /** The 2017 event-time job: one watermark after a rebalance, no idleness, no flush at the end. */
    static final String NO_IDLE = "no-idle-fallback";

    final Properties kafka;
    final String brokers;
    final String events;
    final String output;
    final String engine;
    final String group;
    final String stateDir;
    final String variant;
    final long window;
    final long watermark;
    final long idle;
    final long lateness;
    final boolean dedup;
    final boolean bounded;
    final Map<Integer, Long> start;

    private FlinkSettings(PeerArgs a) {
        variant = a.str("variant", REFERENCE);
        if (!variant.equals(REFERENCE) && !variant.equals(CHAINED) && !variant.equals(NO_IDLE)) {
            PeerArgs.usage("--variant must be " + CHAINED + " or " + NO_IDLE + ", not " + variant);
        }
        String guarantee = a.str("guarantee", "at_least_once");
        if (!guarantee.equals("at_least_once") && !guarantee.equals("exactly_once_v2")) {
            PeerArgs.usage("--guarantee must be at_least_once or exactly_once_v2, not " + guarantee);
        }
        kafka = a.kafkaProps();
        brokers = a.required("brokers");
        events = a.str("events", "sampletopic");
        engine = a.str("engine", variant.isEmpty() ? "flink" : "flink-" + variant);
        output = a.str("output", "aggregates." + engine);
        group = a.str("group", "streamtop-peer-" + engine);
        stateDir = a.str("state-dir", "");
        window = a.millis("window", 5000);
        if (window == 0) {
            PeerArgs.usage("--window must be > 0 ms");
        }
        watermark = a.millis("watermark", 1000);
        idle = a.millis("idle", 6000);
        lateness = a.millis("lateness", 0);
        dedup = a.bool("dedup", true);
        bounded = a.bool("bounded", false);
        start = a.offsets("start");
        exactlyOnceAsked = guarantee.equals("exactly_once_v2");
    }

    private final boolean exactlyOnceAsked;

    static FlinkSettings parse(String[] args) {
        return new FlinkSettings(PeerArgs.parse(args, PeerArgs.AGGREGATE));
    }

    boolean processingTime() {
        return variant.equals(CHAINED);
    }

    /** The `settings` line: what the job really runs with (no watermark or idleness in processing time). */
    String settingsLine() {
        boolean pt = processingTime();
        String idleSetting = pt || variant.equals(NO_IDLE) || idle == 0 ? "none" : Long.toString(idle);
        return "settings window=" + window
                + " watermark=" + (pt ? "none" : Long.toString(watermark))
                + " idle=" + idleSetting
                + " lateness=" + (pt ? 0 : lateness)
                + " dedup=" + dedup
                + " guarantee=at_least_once";
    }

    /** The `cannot` lines: settings this job cannot honour, said instead of pretending. */
    List<String> cannotLines() {
        List<String> out = new ArrayList<>();
        if (exactlyOnceAsked) {
            out.add("cannot guarantee exactly_once_v2 (this job runs at_least_once)");
        }
        if (dedup) {
            // Repeated ids are dropped inside the window that counts them; an id reused with another
            // device, category or window is counted again (SPEC §3 drops it).
            out.add("cannot dedup outside a window");
        }
        if (processingTime()) {
            out.add("cannot window on event time (" + CHAINED + " windows on arrival, as the 2017 job)");
            if (lateness > 0) {
                out.add("cannot allow lateness in processing time");
            }
        } else if (variant.equals(NO_IDLE)) {
            out.add("cannot flush windows left open when the input stops (" + NO_IDLE + ", as the 2017 job)");
        }
        return out;
    }
}

package streamtop.peers;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The job in the Kafka Streams DSL, in one subtopology (no repartition topic): events (markers
 * skipped, device time as the record time) keep their record key, the device (SPEC §6), so all of a
 * device's events are in one task; there a processor drops repeated ids (a window store keyed by id)
 * and the windowed aggregation keeps, per record key and window, the sums of each device|category;
 * every update of a window goes to the output topic as SPEC §3's result, one per device and category
 * in it. Re-keying by device|category would go through a repartition topic, where a task's stream
 * time runs ahead of other partitions' late events (the source tasks replay their partitions one after
 * another) and drops them although they are within grace.
 */
final class KStreamsTopology {
    /** Names of the internal topics' stems: the application's own, so a fresh start may delete them. */
    static final String DEDUP_STORE = "dedup-ids";
    static final String SUMS_STORE = "window-sums";

    private KStreamsTopology() {}

    /** The settings one topology is built from. */
    record Settings(String events, String output, String engine, long window, long grace, boolean dedup) {}

    static Topology build(Settings s, Properties config, Runnable firstResult) {
        StreamsBuilder b = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config)));
        KStream<byte[], Event> events = b.stream(s.events(),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                .withTimestampExtractor(new DeviceTime())
                                .withOffsetResetPolicy(AutoOffsetReset.earliest()))
                .processValues(Parse::new);
        if (s.dedup()) {
            b.addStateStore(Stores.windowStoreBuilder(
                    Stores.persistentWindowStore(DEDUP_STORE, Duration.ofMillis(s.window() + s.grace()),
                            Duration.ofMillis(s.window()), false),
                    Serdes.String(), Serdes.Long()));
            events = events.processValues(() -> new Judge(s.window(), s.grace(), true), DEDUP_STORE);
        } else {
            events = events.processValues(() -> new Judge(s.window(), s.grace(), false));
        }
        AtomicLong emitted = new AtomicLong();
        events.groupByKey(Grouped.keySerde(Serdes.ByteArray()))
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(s.window()), Duration.ofMillis(s.grace())))
                .aggregate(TreeMap<String, Sums>::new, (k, e, sums) -> add(sums, e),
                        Materialized.<byte[], TreeMap<String, Sums>, WindowStore<Bytes, byte[]>>as(SUMS_STORE)
                                .withKeySerde(Serdes.ByteArray()).withValueSerde(WINDOW_SUMS_SERDE))
                .toStream()
                .flatMap((wk, sums) -> {
                    List<KeyValue<byte[], byte[]>> out = new ArrayList<>(sums == null ? 0 : sums.size());
                    if (sums == null) {
                        return out;
                    }
                    if (emitted.getAndIncrement() == 0) {
                        firstResult.run();
                    }
                    long end = wk.window().end();
                    sums.forEach((key, sum) -> {
                        String device = deviceOf(key);
                        String category = categoryOf(key);
                        out.add(KeyValue.pair(Results.key(device, category, end),
                                Results.json(end, device, category, sum.m1, sum.m2, sum.count, s.engine())));
                    });
                    return out;
                })
                .to(s.output(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return b.build();
    }

    private static TreeMap<String, Sums> add(TreeMap<String, Sums> sums, Event e) {
        sums.computeIfAbsent(keyOf(e), k -> new Sums()).add(e);
        return sums;
    }

    /**
     * The grouping key, device and category unambiguously (either may hold '|'): the device's length,
     * ':', the device, '|', the category.
     */
    static String keyOf(Event e) {
        return e.device.length() + ":" + e.device + "|" + e.category;
    }

    static String deviceOf(String key) {
        int colon = key.indexOf(':');
        int n = Integer.parseInt(key, 0, colon, 10);
        return key.substring(colon + 1, colon + 1 + n);
    }

    static String categoryOf(String key) {
        int colon = key.indexOf(':');
        int n = Integer.parseInt(key, 0, colon, 10);
        return key.substring(colon + 2 + n);
    }

    static List<String> headerKeys(Headers headers) {
        List<String> keys = null;
        for (Header h : headers) {
            if (keys == null) {
                keys = new ArrayList<>(2);
            }
            keys.add(h.key());
        }
        return keys;
    }

    /**
     * Event time is the event's device time. A marker or a malformed record gets its partition's time
     * so far (it is dropped right after, by Parse, and must not move time); Kafka Streams itself drops a
     * record whose time is negative (an event dated before 1970).
     */
    static final class DeviceTime implements TimestampExtractor {
        @Override
        public long extract(ConsumerRecord<Object, Object> r, long partitionTime) {
            byte[] value = (byte[]) r.value();
            long fallback = partitionTime >= 0 ? partitionTime : Math.max(r.timestamp(), 0);
            if (Results.isMarker(value, headerKeys(r.headers()))) {
                return fallback;
            }
            try {
                return Event.parse(value).time;
            } catch (IllegalArgumentException e) {
                return fallback;
            }
        }
    }

    /**
     * Skips markers and records with no key (the aggregation cannot group them: counted, and the job
     * says so at start), parses events (counting malformed ones), drops headers.
     */
    static final class Parse extends ContextualFixedKeyProcessor<byte[], byte[], Event> {
        static final AtomicLong NO_KEY = new AtomicLong();

        @Override
        public void process(FixedKeyRecord<byte[], byte[]> r) {
            if (Results.isMarker(r.value(), headerKeys(r.headers()))) {
                return;
            }
            if (r.key() == null) {
                NO_KEY.incrementAndGet();
                return;
            }
            Event e;
            try {
                e = Event.parse(r.value());
            } catch (IllegalArgumentException ex) {
                String where = context().recordMetadata()
                        .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset()).orElse("?");
                Malformed.skip(where, ex.getMessage());
                return;
            }
            context().forward(r.withValue(e).withHeaders(new RecordHeaders()));
        }
    }

    /**
     * Before the aggregation, in its task: tracks the stream time the aggregation will see (the largest
     * time forwarded to it, as KStreamWindowAggregate's observedStreamTime) to count late events, and
     * with dedup drops an id accepted before whose window is still open. Ids live in a window store
     * (changelogged) keyed by id at their window's start, retained window + grace; an id whose window
     * has closed is forgotten, and a late event (dropped by the aggregation) is not remembered
     * (SPEC §3). The store is per task, so copies of an id are matched only within one partition of
     * the events topic (which holds all of a device's events).
     */
    static final class Judge extends ContextualFixedKeyProcessor<byte[], Event, Event> {
        static final AtomicLong LATE = new AtomicLong();
        static final AtomicLong DUPLICATES = new AtomicLong();
        private static final AtomicLong LAST_REPORT = new AtomicLong();
        private final long window;
        private final long grace;
        private final boolean dedup;
        private WindowStore<String, Long> ids;
        private long streamTime = -1;

        Judge(long window, long grace, boolean dedup) {
            this.window = window;
            this.grace = grace;
            this.dedup = dedup;
        }

        @Override
        public void init(FixedKeyProcessorContext<byte[], Event> context) {
            super.init(context);
            if (dedup) {
                ids = context.getStateStore(DEDUP_STORE);
            }
        }

        @Override
        public void process(FixedKeyRecord<byte[], Event> r) {
            long t = r.timestamp();
            if (dedup && seen(r.value().id)) {
                DUPLICATES.incrementAndGet();
                return;
            }
            streamTime = Math.max(streamTime, t);
            long end = Results.windowEnd(t, window);
            if (end + grace <= streamTime) {
                countLate();
            } else if (dedup) {
                ids.put(r.value().id, end, end - window);
            }
            context().forward(r);
        }

        /** Whether id was accepted in a window that is still open. */
        private boolean seen(String id) {
            long from = Math.max(0, streamTime - window - grace + 1);
            try (WindowStoreIterator<Long> it = ids.fetch(id, from, Long.MAX_VALUE)) {
                while (it.hasNext()) {
                    if (it.next().value + grace > streamTime) {
                        return true;
                    }
                }
            }
            return false;
        }

        private static void countLate() {
            long n = LATE.incrementAndGet();
            long now = System.currentTimeMillis();
            long last = LAST_REPORT.get();
            if (now - last >= 1000 && LAST_REPORT.compareAndSet(last, now)) {
                System.err.println("late events dropped by the window aggregation: " + n + " so far");
            }
        }
    }

    /** A window's sums. */
    static final class Sums {
        long m1;
        double m2;
        long count;

        Sums add(Event e) {
            m1 += e.m1;
            m2 += e.m2;
            count++;
            return this;
        }
    }

    static final Serde<Sums> SUMS_SERDE = Serdes.serdeFrom(
            (topic, s) -> ByteBuffer.allocate(24).putLong(s.m1).putDouble(s.m2).putLong(s.count).array(),
            (topic, bytes) -> {
                if (bytes == null) {
                    return null;
                }
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                Sums s = new Sums();
                s.m1 = buf.getLong();
                s.m2 = buf.getDouble();
                s.count = buf.getLong();
                return s;
            });

    /** A window's sums per device|category key (keyOf): a count, then each key and its sums. */
    static final Serde<TreeMap<String, Sums>> WINDOW_SUMS_SERDE = Serdes.serdeFrom(
            (topic, sums) -> {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 48 * sums.size());
                try (DataOutputStream out = new DataOutputStream(bytes)) {
                    out.writeInt(sums.size());
                    for (Map.Entry<String, Sums> e : sums.entrySet()) {
                        out.writeUTF(e.getKey());
                        out.writeLong(e.getValue().m1);
                        out.writeDouble(e.getValue().m2);
                        out.writeLong(e.getValue().count);
                    }
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                return bytes.toByteArray();
            },
            (topic, bytes) -> {
                if (bytes == null) {
                    return null;
                }
                try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
                    TreeMap<String, Sums> sums = new TreeMap<>();
                    for (int n = in.readInt(); n > 0; n--) {
                        String key = in.readUTF();
                        Sums sum = new Sums();
                        sum.m1 = in.readLong();
                        sum.m2 = in.readDouble();
                        sum.count = in.readLong();
                        sums.put(key, sum);
                    }
                    return sums;
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
}

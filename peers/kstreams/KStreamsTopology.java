package streamtop.peers;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
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
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;
import org.apache.kafka.streams.processor.api.ContextualFixedKeyProcessor;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The job in the Kafka Streams DSL: events (markers skipped, device time as the record time) are
 * re-keyed by device and category through one repartition topic; there a processor drops repeated ids
 * (a window store keyed by id) and the windowed aggregation sums them with grace; every update of a
 * window goes to the output topic as SPEC §3's result.
 */
final class KStreamsTopology {
    /** Names of the internal topics' stems: the application's own, so a fresh start may delete them. */
    static final String REPARTITION = "by-device-category";
    static final String DEDUP_STORE = "dedup-ids";
    static final String SUMS_STORE = "window-sums";

    private KStreamsTopology() {}

    /** The settings one topology is built from. */
    record Settings(String events, String output, String engine, long window, long grace, boolean dedup) {}

    static Topology build(Settings s, Properties config, Runnable firstResult) {
        StreamsBuilder b = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config)));
        KStream<String, Event> keyed = b.stream(s.events(),
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray())
                                .withTimestampExtractor(new DeviceTime())
                                .withOffsetResetPolicy(AutoOffsetReset.earliest()))
                .process(Parse::new)
                .repartition(Repartitioned.with(Serdes.String(), EVENT_SERDE).withName(REPARTITION));
        if (s.dedup()) {
            b.addStateStore(Stores.windowStoreBuilder(
                    Stores.persistentWindowStore(DEDUP_STORE, Duration.ofMillis(s.window() + s.grace()),
                            Duration.ofMillis(s.window()), false),
                    Serdes.String(), Serdes.Long()));
            keyed = keyed.processValues(() -> new Judge(s.window(), s.grace(), true), DEDUP_STORE);
        } else {
            keyed = keyed.processValues(() -> new Judge(s.window(), s.grace(), false));
        }
        AtomicLong emitted = new AtomicLong();
        keyed.groupByKey(Grouped.with(Serdes.String(), EVENT_SERDE))
                .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(s.window()), Duration.ofMillis(s.grace())))
                .aggregate(Sums::new, (k, e, sum) -> sum.add(e),
                        Materialized.<String, Sums, WindowStore<Bytes, byte[]>>as(SUMS_STORE)
                                .withKeySerde(Serdes.String()).withValueSerde(SUMS_SERDE))
                .toStream()
                .map((wk, sum) -> {
                    if (emitted.getAndIncrement() == 0) {
                        firstResult.run();
                    }
                    String device = deviceOf(wk.key());
                    String category = categoryOf(wk.key());
                    long end = wk.window().end();
                    return KeyValue.pair(Results.key(device, category, end),
                            Results.json(end, device, category, sum.m1, sum.m2, sum.count, s.engine()));
                })
                .to(s.output(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));
        return b.build();
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

    /** Skips markers, parses events (counting malformed ones), keys them by device and category, drops headers. */
    static final class Parse extends ContextualProcessor<byte[], byte[], String, Event> {
        @Override
        public void process(Record<byte[], byte[]> r) {
            if (Results.isMarker(r.value(), headerKeys(r.headers()))) {
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
            context().forward(new Record<>(keyOf(e), e, r.timestamp()));
        }
    }

    /**
     * Before the aggregation, in its task: tracks the stream time the aggregation will see (the largest
     * time forwarded to it, as KStreamWindowAggregate's observedStreamTime) to count late events, and
     * with dedup drops an id accepted before whose window is still open. Ids live in a window store
     * (changelogged) keyed by id at their window's start, retained window + grace; an id whose window
     * has closed is forgotten, and a late event (dropped by the aggregation) is not remembered
     * (SPEC §3). The store is per task, so copies of an id are matched only within one device|category.
     */
    static final class Judge extends ContextualFixedKeyProcessor<String, Event, Event> {
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
        public void init(FixedKeyProcessorContext<String, Event> context) {
            super.init(context);
            if (dedup) {
                ids = context.getStateStore(DEDUP_STORE);
            }
        }

        @Override
        public void process(FixedKeyRecord<String, Event> r) {
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

    /** Events on the repartition topic: a compact binary form. */
    static final Serde<Event> EVENT_SERDE = Serdes.serdeFrom(
            (topic, e) -> {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
                try (DataOutputStream out = new DataOutputStream(bytes)) {
                    out.writeUTF(e.id);
                    out.writeUTF(e.device);
                    out.writeUTF(e.category);
                    out.writeLong(e.time);
                    out.writeLong(e.m1);
                    out.writeDouble(e.m2);
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
                return bytes.toByteArray();
            },
            (topic, bytes) -> {
                if (bytes == null) {
                    return null;
                }
                try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
                    Event e = new Event();
                    e.id = in.readUTF();
                    e.device = in.readUTF();
                    e.category = in.readUTF();
                    e.time = in.readLong();
                    e.m1 = in.readLong();
                    e.m2 = in.readDouble();
                    return e;
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
}

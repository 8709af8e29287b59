package streamtop.peers;

import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.enumerator.subscriber.KafkaSubscriber;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.triggers.Trigger;
import org.apache.flink.streaming.api.windowing.triggers.TriggerResult;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** The Flink functions of the peer's jobs: reading, keying, summing, emitting and writing. */
final class FlinkFunctions {
    private FlinkFunctions() {}

    /** Reads an events record: skips markers (SPEC §6), counts and skips what does not parse. */
    static final class ReadEvent implements KafkaRecordDeserializationSchema<Event> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<Event> out) {
            List<String> headerKeys = new ArrayList<>(2);
            for (Header h : record.headers()) {
                headerKeys.add(h.key());
            }
            if (Results.isMarker(record.value(), headerKeys)) {
                return;
            }
            try {
                out.collect(Event.parse(record.value()));
            } catch (IllegalArgumentException e) {
                Malformed.skip(record.topic() + "/" + record.partition() + "@" + record.offset(), e.getMessage());
            }
        }

        @Override
        public TypeInformation<Event> getProducedType() {
            return TypeInformation.of(Event.class);
        }
    }

    /**
     * The events topic's partitions, looked up with a consumer's metadata request, not the source's
     * AdminClient: kafka-clients 4.2's describeTopics uses DescribeTopicPartitions, whose answer from
     * streamtop's embedded broker (franz-go kfake) has no eligible-leader list, and the client fails
     * on it with a NullPointerException. A topic not there yet has no partitions (found at the next
     * discovery), where a topic list would fail the job.
     */
    static final class EventsPartitions implements KafkaSubscriber {
        private static final long serialVersionUID = 1L;
        private final Properties kafka;
        private final String topic;

        EventsPartitions(Properties kafka, String topic) {
            this.kafka = new Properties();
            this.kafka.putAll(kafka);
            this.kafka.setProperty("allow.auto.create.topics", "false");
            this.topic = topic;
        }

        @Override
        public Set<TopicPartition> getSubscribedTopicPartitions(AdminClient unused) {
            Set<TopicPartition> out = new HashSet<>();
            for (PartitionInfo p : lookup()) {
                out.add(new TopicPartition(p.topic(), p.partition()));
            }
            return out;
        }

        /** The topic's partitions; none when it does not exist. */
        List<PartitionInfo> lookup() {
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(kafka, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                List<PartitionInfo> l = c.partitionsFor(topic, Duration.ofSeconds(10));
                return l == null ? List.of() : l;
            }
        }
    }

    /** Start offsets: the listed partitions at their offsets, every other one at its earliest. */
    static final class StartOffsets implements OffsetsInitializer {
        private static final long serialVersionUID = 1L;
        private final HashMap<Integer, Long> listed;

        StartOffsets(Map<Integer, Long> listed) {
            this.listed = new HashMap<>(listed);
        }

        @Override
        public Map<TopicPartition, Long> getPartitionOffsets(Collection<TopicPartition> partitions,
                PartitionOffsetsRetriever retriever) {
            // Not OffsetsInitializer.offsets(map, EARLIEST): that one prefers the group's committed
            // offsets for unlisted partitions, and the contract says earliest.
            Map<TopicPartition, Long> out = new HashMap<>();
            List<TopicPartition> rest = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                Long o = listed.get(tp.partition());
                if (o == null) {
                    rest.add(tp);
                } else {
                    out.put(tp, o);
                }
            }
            if (!rest.isEmpty()) {
                out.putAll(retriever.beginningOffsets(rest));
            }
            return out;
        }

        @Override
        @SuppressWarnings("deprecation")
        public OffsetResetStrategy getAutoOffsetResetStrategy() {
            return OffsetResetStrategy.EARLIEST;
        }
    }

    /** The window key: device and category. */
    static final class DeviceCategory implements KeySelector<Event, Tuple2<String, String>> {
        private static final long serialVersionUID = 1L;
        static final TypeInformation<Tuple2<String, String>> TYPE = Types.TUPLE(Types.STRING, Types.STRING);

        @Override
        public Tuple2<String, String> getKey(Event e) {
            return Tuple2.of(e.device, e.category);
        }
    }

    /** The dedup key of the 2017 jobs: the event id. */
    static final class EventId implements KeySelector<Event, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(Event e) {
            return e.id;
        }
    }

    /** A window's sums so far, with the ids it has counted when dedup is on. */
    public static final class Sums implements Serializable {
        private static final long serialVersionUID = 1L;
        public long m1;
        public double m2;
        public long count;
        public HashSet<String> ids; // null when dedup is off

        public Sums() {}
    }

    /**
     * Sums a window incrementally; with dedup, an id already counted in this window is skipped. A
     * repeated event (same id, device time, device and category) always lands in the same window, and
     * the ids go with the window's state when it closes (SPEC §3: forgotten once the window closes).
     */
    static final class SumWindow implements AggregateFunction<Event, Sums, Sums> {
        private static final long serialVersionUID = 1L;
        private final boolean dedup;

        SumWindow(boolean dedup) {
            this.dedup = dedup;
        }

        @Override
        public Sums createAccumulator() {
            Sums s = new Sums();
            s.ids = dedup ? new HashSet<>() : null;
            return s;
        }

        @Override
        public Sums add(Event e, Sums s) {
            if (s.ids != null && !s.ids.add(e.id)) {
                return s;
            }
            s.m1 += e.m1;
            s.m2 += e.m2;
            s.count++;
            return s;
        }

        @Override
        public Sums getResult(Sums s) {
            return s;
        }

        @Override
        public Sums merge(Sums a, Sums b) {
            throw new UnsupportedOperationException("tumbling windows never merge");
        }
    }

    /** One window emission: the key and SPEC §3's values. */
    public static final class WindowSum implements Serializable {
        private static final long serialVersionUID = 1L;
        public String device;
        public String category;
        public long windowEnd;
        public long m1;
        public double m2;
        public long count;

        public WindowSum() {}
    }

    /** Labels a window's sums with its key and end. */
    static final class EmitWindow extends ProcessWindowFunction<Sums, WindowSum, Tuple2<String, String>, TimeWindow> {
        private static final long serialVersionUID = 1L;

        @Override
        public void process(Tuple2<String, String> key, Context ctx, Iterable<Sums> sums, Collector<WindowSum> out) {
            Sums s = sums.iterator().next();
            WindowSum w = new WindowSum();
            w.device = key.f0;
            w.category = key.f1;
            w.windowEnd = ctx.window().getEnd();
            w.m1 = s.m1;
            w.m2 = s.m2;
            w.count = s.count;
            out.collect(w);
        }
    }

    /** The 2017 dedup window: keeps the first event of each id seen in the window (all with dedup off). */
    static final class FirstOfId extends ProcessWindowFunction<Event, Event, String, TimeWindow> {
        private static final long serialVersionUID = 1L;
        private final boolean dedup;

        FirstOfId(boolean dedup) {
            this.dedup = dedup;
        }

        @Override
        public void process(String id, Context ctx, Iterable<Event> events, Collector<Event> out) {
            for (Event e : events) {
                out.collect(e);
                if (dedup) {
                    return;
                }
            }
        }
    }

    /**
     * Event-time firing without the end-of-input flush: fires a window when the watermark passes its
     * end, as EventTimeTrigger, except when that watermark is the end of a bounded input. A window
     * only that flush would close is dropped unemitted, as the 2017 job (which never saw its input end)
     * left its last window open forever.
     */
    static final class NoEndOfInputFlush extends Trigger<Object, TimeWindow> {
        private static final long serialVersionUID = 1L;

        @Override
        public TriggerResult onElement(Object e, long ts, TimeWindow w, TriggerContext ctx) {
            if (w.maxTimestamp() <= ctx.getCurrentWatermark()) {
                return TriggerResult.FIRE; // late within the allowed lateness: emit again
            }
            ctx.registerEventTimeTimer(w.maxTimestamp());
            return TriggerResult.CONTINUE;
        }

        @Override
        public TriggerResult onEventTime(long time, TimeWindow w, TriggerContext ctx) {
            boolean endOfInput = ctx.getCurrentWatermark() == Long.MAX_VALUE;
            return time == w.maxTimestamp() && !endOfInput ? TriggerResult.FIRE : TriggerResult.CONTINUE;
        }

        @Override
        public TriggerResult onProcessingTime(long time, TimeWindow w, TriggerContext ctx) {
            return TriggerResult.CONTINUE;
        }

        @Override
        public void clear(TimeWindow w, TriggerContext ctx) {
            ctx.deleteEventTimeTimer(w.maxTimestamp());
        }
    }

    /** Writes an emission: key device|category|window_end, SPEC §3's value, no headers. */
    static final class WriteResult implements KafkaRecordSerializationSchema<WindowSum> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final String engine;

        WriteResult(String topic, String engine) {
            this.topic = topic;
            this.engine = engine;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(WindowSum w, KafkaSinkContext ctx, Long timestamp) {
            // No record timestamp: the window's event time may be far in the past, and a result
            // stamped there could fall to the topic's time-based retention at once.
            return new ProducerRecord<>(topic, null, null, Results.key(w.device, w.category, w.windowEnd),
                    Results.json(w.windowEnd, w.device, w.category, w.m1, w.m2, w.count, engine));
        }
    }
}

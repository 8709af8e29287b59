package streamtop.peers;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.storm.kafka.spout.Func;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.BasicOutputCollector;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseBasicBolt;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.Values;

/**
 * The rate topology's parts, in the order ticks flow through them: the spout's record translator, a
 * parse bolt, a variation bolt (the state: the previous rate), an alert bolt, and a writer bolt that
 * produces the three output topics. Every tuple carries its input partition and offset, also for a
 * malformed or priming tick (then with "emit" false), so the writer knows how far the input is handled
 * (a bounded run ends there). Each bolt runs as one task behind a global grouping: Storm keeps the order
 * of tuples between two tasks, so the outputs keep the order of the ticks.
 */
final class RateBolts {
    private RateBolts() {}

    static final Fields RECORD = new Fields("partition", "offset", "timestamp", "value");
    static final Fields TICK = new Fields("partition", "offset", "ok", "rate", "ts");
    static final Fields VARIATION = new Fields("partition", "offset", "emit", "rate", "previous", "variation", "ts");
    static final Fields ALERT = new Fields("partition", "offset", "emit", "rate", "previous", "variation", "ts",
            "alert");

    /** The KafkaSpout's record translator: partition, offset, record timestamp, raw value. */
    static final class Translate implements Func<ConsumerRecord<byte[], byte[]>, java.util.List<Object>> {
        private static final long serialVersionUID = 1L;

        @Override
        public java.util.List<Object> apply(ConsumerRecord<byte[], byte[]> r) {
            return new Values(r.partition(), r.offset(), r.timestamp(), r.value() == null ? new byte[0] : r.value());
        }
    }

    /** Parses a tick; a malformed one is counted and passed on as progress only. */
    static final class Parse extends BaseBasicBolt {
        private static final long serialVersionUID = 1L;
        private final String topic;

        Parse(String topic) {
            this.topic = topic;
        }

        @Override
        public void execute(Tuple t, BasicOutputCollector out) {
            int partition = t.getIntegerByField("partition");
            long offset = t.getLongByField("offset");
            try {
                RateTick tick = RateTick.decode(t.getBinaryByField("value"));
                long ts = tick.ts != 0 ? tick.ts : t.getLongByField("timestamp");
                out.emit(new Values(partition, offset, true, tick.rate, ts));
            } catch (IllegalArgumentException e) {
                Malformed.skip(topic + "/" + partition + "@" + offset, e.getMessage());
                out.emit(new Values(partition, offset, false, 0.0, 0L));
            }
        }

        @Override
        public void declareOutputFields(OutputFieldsDeclarer d) {
            d.declare(TICK);
        }
    }

    /** Keeps the previous rate: the first tick only primes it; each later one gets its variation. */
    static final class Variation extends BaseBasicBolt {
        private static final long serialVersionUID = 1L;
        private boolean primed;
        private double previous;

        @Override
        public void execute(Tuple t, BasicOutputCollector out) {
            int partition = t.getIntegerByField("partition");
            long offset = t.getLongByField("offset");
            double rate = t.getDoubleByField("rate");
            long ts = t.getLongByField("ts");
            if (!t.getBooleanByField("ok") || !primed) {
                if (t.getBooleanByField("ok")) {
                    primed = true;
                    previous = rate;
                }
                out.emit(new Values(partition, offset, false, 0.0, 0.0, 0.0, 0L));
                return;
            }
            double prev = previous;
            previous = rate;
            out.emit(new Values(partition, offset, true, rate, prev, RateForms.variation(rate, prev), ts));
        }

        @Override
        public void declareOutputFields(OutputFieldsDeclarer d) {
            d.declare(VARIATION);
        }
    }

    /** Marks the variations that reach the threshold (≥, or > when strict). */
    static final class Alert extends BaseBasicBolt {
        private static final long serialVersionUID = 1L;
        private final double threshold;
        private final boolean strict;

        Alert(double threshold, boolean strict) {
            this.threshold = threshold;
            this.strict = strict;
        }

        @Override
        public void execute(Tuple t, BasicOutputCollector out) {
            boolean alert = t.getBooleanByField("emit")
                    && RateForms.alerts(t.getDoubleByField("variation"), threshold, strict);
            java.util.List<Object> v = new Values(t.getValues().toArray());
            v.add(alert);
            out.emit(v);
        }

        @Override
        public void declareOutputFields(OutputFieldsDeclarer d) {
            d.declare(ALERT);
        }
    }

    /** Where the writer is told to write, and when a bounded run is done. */
    static final class Sink implements java.io.Serializable {
        private static final long serialVersionUID = 1L;
        Properties kafka;
        String rateTopic;
        String gapTopic;
        String alertTopic;
        boolean originalGap;
        /** Bounded: per input partition, the offset to reach; null when unbounded. */
        HashMap<Integer, Long> end;
        /** Per input partition, the first offset the run reads. */
        HashMap<Integer, Long> start;
    }

    /**
     * Produces the rate, gap and alert records (timestamped with the tick's ts, else its record's
     * timestamp, as streamtop does). Once a bounded run has handled every input offset up to the end
     * offsets it flushes and tells the main thread.
     */
    static final class Writer extends BaseRichBolt {
        private static final long serialVersionUID = 1L;
        private final Sink sink;
        private transient KafkaProducer<byte[], byte[]> producer;
        private transient Map<Integer, Long> next;
        private transient OutputCollector collector;
        private transient boolean drained;

        Writer(Sink sink) {
            this.sink = sink;
        }

        @Override
        public void prepare(Map<String, Object> conf, TopologyContext ctx, OutputCollector collector) {
            this.collector = collector;
            Properties p = new Properties();
            p.putAll(sink.kafka);
            p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
            p.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
            p.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            // One request in flight: a retried first batch (a topic just auto-created answers
            // NOT_LEADER_OR_FOLLOWER) must not let a later batch overtake it; the order is the point.
            p.putIfAbsent(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
            p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
            producer = new KafkaProducer<>(p);
            for (String topic : new String[] {sink.rateTopic, sink.gapTopic, sink.alertTopic}) {
                try {
                    producer.partitionsFor(topic); // metadata (and auto-creation) before the first tick
                } catch (org.apache.kafka.common.KafkaException e) {
                    System.err.println("output topic " + topic + ": " + e);
                }
            }
            next = new HashMap<>(sink.start);
        }

        @Override
        public void execute(Tuple t) {
            if (t.getBooleanByField("emit")) {
                write(t);
            }
            next.put(t.getIntegerByField("partition"), t.getLongByField("offset") + 1);
            collector.ack(t);
            if (sink.end != null && !drained && reachedEnd()) {
                drained = true;
                producer.flush();
                StormRatePeer.DRAINED.countDown();
            }
        }

        private void write(Tuple t) {
            double rate = t.getDoubleByField("rate");
            double prev = t.getDoubleByField("previous");
            double v = t.getDoubleByField("variation");
            boolean alert = t.getBooleanByField("alert");
            long ts = t.getLongByField("ts");
            send(sink.rateTopic, ts, RateForms.rateValue(rate));
            send(sink.gapTopic, ts, RateForms.gapValue(rate, prev, v, alert, sink.originalGap));
            if (alert) {
                send(sink.alertTopic, ts, RateForms.alertValue(rate, prev, v));
            }
        }

        private void send(String topic, long ts, byte[] value) {
            producer.send(new ProducerRecord<>(topic, null, ts < 0 ? null : ts, null, value), (md, err) -> {
                if (err != null) {
                    System.err.println("produce to " + topic + " (lost): " + err);
                }
            });
        }

        private boolean reachedEnd() {
            for (Map.Entry<Integer, Long> e : sink.end.entrySet()) {
                if (next.getOrDefault(e.getKey(), 0L) < e.getValue()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void cleanup() {
            if (producer != null) {
                producer.close(java.time.Duration.ofSeconds(5));
            }
        }

        @Override
        public void declareOutputFields(OutputFieldsDeclarer d) {}
    }
}

package streamtop.peers;

import java.time.Duration;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.WindowedStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingProcessingTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.api.java.tuple.Tuple2;

import streamtop.peers.FlinkFunctions.DeviceCategory;
import streamtop.peers.FlinkFunctions.EmitWindow;
import streamtop.peers.FlinkFunctions.EventId;
import streamtop.peers.FlinkFunctions.EventsPartitions;
import streamtop.peers.FlinkFunctions.FirstOfId;
import streamtop.peers.FlinkFunctions.NoEndOfInputFlush;
import streamtop.peers.FlinkFunctions.ReadEvent;
import streamtop.peers.FlinkFunctions.StartOffsets;
import streamtop.peers.FlinkFunctions.SumWindow;
import streamtop.peers.FlinkFunctions.Sums;
import streamtop.peers.FlinkFunctions.WindowSum;
import streamtop.peers.FlinkFunctions.WriteResult;

/** The peer's dataflow: the reference job and the two 2017 shapes (FlinkSettings' variants). */
final class FlinkJob {
    private FlinkJob() {}

    /** Adds the whole job (source, windows, sink) to env. */
    static void build(StreamExecutionEnvironment env, FlinkSettings s) {
        KafkaSource<Event> source = source(s);
        DataStream<WindowSum> results;
        switch (s.variant) {
            case FlinkSettings.CHAINED:
                results = chainedProcessingWindows(env, source, s);
                break;
            case FlinkSettings.NO_IDLE:
                results = noIdleFallback(env, source, s);
                break;
            default:
                results = reference(env, source, s);
        }
        results.sinkTo(sink(s)).name("results " + s.output);
    }

    /**
     * The reference job: per-partition watermarks in the source (bounded out-of-orderness W, idle
     * partitions dropped from the minimum after idle, and SPEC §3's fallback when all are idle: see
     * IdleFallbackWatermarks), tumbling event-time windows per (device, category) with the allowed
     * lateness, summed incrementally.
     */
    private static DataStream<WindowSum> reference(StreamExecutionEnvironment env, KafkaSource<Event> source,
            FlinkSettings s) {
        long w = s.watermark;
        long idle = s.idle;
        WatermarkStrategy<Event> wm = idle > 0
                ? WatermarkStrategy.<Event>forGenerator(ctx -> new IdleFallbackWatermarks(w, idle))
                : WatermarkStrategy.<Event>forBoundedOutOfOrderness(Duration.ofMillis(w));
        wm = wm.withTimestampAssigner((e, recordTimestamp) -> e.time);
        DataStream<Event> events = env.fromSource(source, wm, "events " + s.events);
        return sum(eventTimeWindows(events, s), s);
    }

    /**
     * The 2017 event-time job's shape: one watermark generator per parallel reader after a rebalance
     * (not per partition), no idleness, and no flush when a bounded input ends: the windows still open
     * when the input stops are never emitted.
     */
    private static DataStream<WindowSum> noIdleFallback(StreamExecutionEnvironment env, KafkaSource<Event> source,
            FlinkSettings s) {
        DataStream<Event> events = env.fromSource(source, WatermarkStrategy.noWatermarks(), "events " + s.events)
                .rebalance()
                .assignTimestampsAndWatermarks(
                        WatermarkStrategy.<Event>forBoundedOutOfOrderness(Duration.ofMillis(s.watermark))
                                .withTimestampAssigner((e, recordTimestamp) -> e.time))
                .name("watermarks after rebalance");
        return sum(eventTimeWindows(events, s).trigger(new NoEndOfInputFlush()), s);
    }

    /**
     * The 2017 processing-time job's shape: a processing-time window keyed by event id keeps the first
     * of each id, and its output, emitted as that window ends, falls into the next processing-time
     * window of the sum: every key comes out one window late.
     */
    private static DataStream<WindowSum> chainedProcessingWindows(StreamExecutionEnvironment env,
            KafkaSource<Event> source, FlinkSettings s) {
        Duration size = Duration.ofMillis(s.window);
        DataStream<Event> deduped = env.fromSource(source, WatermarkStrategy.noWatermarks(), "events " + s.events)
                .rebalance()
                .keyBy(new EventId(), Types.STRING)
                .window(TumblingProcessingTimeWindows.of(size))
                .process(new FirstOfId(s.dedup), TypeInformation.of(Event.class))
                .name("dedup window (processing time)");
        WindowedStream<Event, Tuple2<String, String>, TimeWindow> windows = deduped
                .keyBy(new DeviceCategory(), DeviceCategory.TYPE)
                .window(TumblingProcessingTimeWindows.of(size));
        return windows.aggregate(new SumWindow(false), new EmitWindow(), TypeInformation.of(Sums.class),
                TypeInformation.of(Sums.class), TypeInformation.of(WindowSum.class)).name("sum window (processing time)");
    }

    private static WindowedStream<Event, Tuple2<String, String>, TimeWindow> eventTimeWindows(DataStream<Event> events,
            FlinkSettings s) {
        return events.keyBy(new DeviceCategory(), DeviceCategory.TYPE)
                .window(TumblingEventTimeWindows.of(Duration.ofMillis(s.window)))
                .allowedLateness(Duration.ofMillis(s.lateness));
    }

    private static DataStream<WindowSum> sum(WindowedStream<Event, Tuple2<String, String>, TimeWindow> windows,
            FlinkSettings s) {
        return windows.aggregate(new SumWindow(s.dedup), new EmitWindow(), TypeInformation.of(Sums.class),
                TypeInformation.of(Sums.class), TypeInformation.of(WindowSum.class)).name("sum window (event time)");
    }

    private static KafkaSource<Event> source(FlinkSettings s) {
        KafkaSourceBuilder<Event> b = KafkaSource.<Event>builder()
                .setProperties(s.kafka)
                .setBootstrapServers(s.brokers)
                .setKafkaSubscriber(new EventsPartitions(s.kafka, s.events))
                .setGroupId(s.group)
                .setClientIdPrefix(s.group)
                .setDeserializer(new ReadEvent())
                .setStartingOffsets(s.start.isEmpty() ? OffsetsInitializer.earliest() : new StartOffsets(s.start));
        if (s.bounded) {
            b.setBounded(OffsetsInitializer.latest());
        } else {
            // The topic and partitions added during a run are found within 2 s and read from their
            // earliest (SPEC §6: markers go to new partitions too).
            b.setProperty("partition.discovery.interval.ms", "2000");
        }
        return b.build();
    }

    private static KafkaSink<WindowSum> sink(FlinkSettings s) {
        return KafkaSink.<WindowSum>builder()
                .setKafkaProducerConfig(s.kafka)
                .setBootstrapServers(s.brokers)
                .setRecordSerializer(new WriteResult(s.output, s.engine))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }
}

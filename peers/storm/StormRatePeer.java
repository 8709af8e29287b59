package streamtop.peers;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.apache.storm.Config;
import org.apache.storm.LocalCluster;
import org.apache.storm.generated.KillOptions;
import org.apache.storm.kafka.spout.FirstPollOffsetStrategy;
import org.apache.storm.kafka.spout.KafkaSpout;
import org.apache.storm.kafka.spout.KafkaSpoutConfig;
import org.apache.storm.topology.TopologyBuilder;

/**
 * The ProActive demo's Storm topology (SPEC §5, §9): BTC→CNY ticks from --input through a parse, a
 * variation and an alert bolt to the rate, gap and alert topics, in a LocalCluster inside this process.
 *
 * <p>Start offsets: storm-kafka-client has no per-partition start offset, so before submitting, the
 * job commits its consumer group's offsets on the input (--start's offset for a listed partition, the
 * earliest for the others) and the spout starts from them (UNCOMMITTED_EARLIEST). The spout runs with
 * Storm's NO_GUARANTEE: a tick is emitted once and never replayed, because a replay would come out of
 * order and the variation depends on the order; one input partition keeps the ticks in order.
 *
 * <p>Arguments (peers/README.md, the rate peer): --brokers, --kafka-props, --input, --rate-out, --gap-out,
 * --alert-out, --threshold, --strict, --start, --bounded, --group, --state-dir (LocalCluster's temporary
 * directories go there), and --variant original-gap (the original demo's gap form: |variation| when it
 * alerts, else 0). Like streamtop's pipeline it reads every record as a tick (no marker rule: an empty
 * value is a malformed tick) and starts over from its first tick: no state survives a restart.
 */
public final class StormRatePeer {
    private static final String TOPOLOGY = "streamtop-rates";
    static final CountDownLatch READY = new CountDownLatch(1);
    static final CountDownLatch DRAINED = new CountDownLatch(1);
    private static final Set<String> KNOWN = Set.of("brokers", "kafka-props", "input", "rate-out", "gap-out",
            "alert-out", "threshold", "strict", "start", "bounded", "group", "state-dir", "variant");
    private static PrintStream stdout;

    private StormRatePeer() {}

    public static void main(String[] argv) {
        stdout = System.out;
        System.setOut(System.err); // stdout carries only the runner's lines
        quietLogging();
        PeerArgs a = PeerArgs.parse(argv, KNOWN);
        try {
            start(a);
        } catch (Throwable e) {
            System.err.println("storm rate peer: " + e);
            e.printStackTrace();
            Runtime.getRuntime().halt(1); // Storm's threads would keep the JVM alive
        }
    }

    private static void start(PeerArgs a) throws Exception {
        double threshold = a.number("threshold", 50);
        if (!(threshold >= 0) || Double.isInfinite(threshold)) {
            PeerArgs.usage("--threshold must be a finite number ≥ 0");
        }
        boolean strict = a.bool("strict", false);
        boolean bounded = a.bool("bounded", false);
        String variant = a.str("variant", "");
        if (!variant.isEmpty() && !variant.equals("original-gap")) {
            PeerArgs.usage("--variant must be original-gap (the gap topic carries |variation| when it alerts, else 0)");
        }
        String stateDir = a.str("state-dir", "");
        if (!stateDir.isEmpty()) {
            System.setProperty("java.io.tmpdir", stateDir); // LocalCluster keeps its directories there
        }
        String input = a.str("input", "BitCoinExchangeTopic");
        String group = a.str("group", "streamtop-peer-storm");
        Properties kafka = a.kafkaProps();
        Map<Integer, Long> startArg = a.offsets("start");

        RateBolts.Sink sink = new RateBolts.Sink();
        sink.kafka = kafka;
        sink.rateTopic = a.str("rate-out", "BitCoinRateTopic.storm");
        sink.gapTopic = a.str("gap-out", "BitCoinGapTopic.storm");
        sink.alertTopic = a.str("alert-out", "BitCoinAlertTopic.storm");
        sink.originalGap = !variant.isEmpty();
        Offsets offs = prepareOffsets(kafka, input, group, startArg);
        sink.start = offs.start;
        sink.end = bounded ? offs.end : null;
        say("settings threshold=" + GoFloat.formatF(threshold) + " strict=" + strict + " gap="
                + (sink.originalGap ? "original" : "variation") + " guarantee=no_guarantee bounded=" + bounded);
        run(topology(kafka, input, group, threshold, strict, sink), bounded, offs);
    }

    /** Prints a line the streamtop runner reads. */
    static void say(String line) {
        stdout.println("streamtop-peer " + line);
        stdout.flush();
    }

    /** Storm's own log4j2.xml logs INFO to stdout; the runner's stdout must carry only its lines. */
    private static void quietLogging() {
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.add(b.newAppender("err", "Console").addAttribute("target", ConsoleAppender.Target.SYSTEM_ERR)
                .add(b.newLayout("PatternLayout").addAttribute("pattern", "%d{HH:mm:ss.SSS} %-5p %c{1} - %m%n")));
        b.add(b.newRootLogger(Level.WARN).add(b.newAppenderRef("err")));
        Configurator.initialize(b.build());
    }

    /** The input's partitions: where the run starts and, bounded, where it ends. */
    static final class Offsets {
        HashMap<Integer, Long> start = new HashMap<>();
        HashMap<Integer, Long> end = new HashMap<>();
        boolean topicExists;
    }

    /**
     * Resolves --start against the input's partitions, commits it as the group's offsets (the spout's
     * starting point), and reads the end offsets as of now.
     */
    static Offsets prepareOffsets(Properties kafka, String input, String group, Map<Integer, Long> startArg)
            throws InterruptedException {
        Offsets o = new Offsets();
        try (Admin admin = Admin.create(kafka)) {
            TopicDescription d;
            try {
                d = admin.describeTopics(List.of(input)).allTopicNames().get(30, TimeUnit.SECONDS).get(input);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    System.err.println("input topic " + input + " does not exist (yet): nothing to read before it does");
                    return o;
                }
                throw new IllegalStateException("describe " + input + ": " + e.getCause(), e.getCause());
            }
            o.topicExists = true;
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            d.partitions().forEach(p -> {
                earliest.put(new TopicPartition(input, p.partition()), OffsetSpec.earliest());
                latest.put(new TopicPartition(input, p.partition()), OffsetSpec.latest());
            });
            ListOffsetsResult first = admin.listOffsets(earliest);
            ListOffsetsResult last = admin.listOffsets(latest);
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            for (TopicPartition tp : earliest.keySet()) {
                long begin = first.partitionResult(tp).get(30, TimeUnit.SECONDS).offset();
                long start = Math.max(startArg.getOrDefault(tp.partition(), begin), begin);
                o.start.put(tp.partition(), start);
                o.end.put(tp.partition(), last.partitionResult(tp).get(30, TimeUnit.SECONDS).offset());
                commit.put(tp, new OffsetAndMetadata(start));
            }
            admin.alterConsumerGroupOffsets(group, commit).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("preparing the start offsets of group " + group + " on " + input + ": "
                    + (e.getCause() != null ? e.getCause() : e), e);
        }
        return o;
    }

    /** Spout → parse → variation → alert → writer, one task each, global groupings (order kept). */
    static org.apache.storm.generated.StormTopology topology(Properties kafka, String input, String group,
            double threshold, boolean strict, RateBolts.Sink sink) {
        Map<String, Object> props = new HashMap<>();
        kafka.forEach((k, v) -> props.put((String) k, v));
        KafkaSpoutConfig<byte[], byte[]> spout = new KafkaSpoutConfig.Builder<byte[], byte[]>(
                kafka.getProperty("bootstrap.servers"), input)
                .setProp(props)
                .setProp(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)
                .setProp(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class)
                .setProp(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .setGroupId(group)
                .setFirstPollOffsetStrategy(FirstPollOffsetStrategy.UNCOMMITTED_EARLIEST)
                .setProcessingGuarantee(KafkaSpoutConfig.ProcessingGuarantee.NO_GUARANTEE)
                .setRecordTranslator(new RateBolts.Translate(), RateBolts.RECORD)
                .setTupleListener(new ReadyListener())
                .setPollTimeoutMs(100)
                .build();
        TopologyBuilder b = new TopologyBuilder();
        b.setSpout("ticks", new KafkaSpout<>(spout), 1);
        b.setBolt("parse", new RateBolts.Parse(input), 1).globalGrouping("ticks");
        b.setBolt("variation", new RateBolts.Variation(), 1).globalGrouping("parse");
        b.setBolt("alert", new RateBolts.Alert(threshold, strict), 1).globalGrouping("variation");
        b.setBolt("writer", new RateBolts.Writer(sink), 1).globalGrouping("alert");
        return b.createTopology();
    }

    /** Submits the topology, says ready once the spout has its partitions, and waits for the end. */
    private static void run(org.apache.storm.generated.StormTopology topology, boolean bounded, Offsets offs)
            throws Exception {
        Config conf = new Config();
        conf.setNumWorkers(1);
        conf.setNumAckers(0);
        conf.setMessageTimeoutSecs(300);
        // The supervisor waits this long for a killed worker before it looks again (Storm's default 3 s).
        LocalCluster cluster = new LocalCluster.Builder()
                .withDaemonConf("supervisor.worker.shutdown.sleep.secs", 1).build();
        // A signal handler rather than a shutdown hook: the contract wants exit 0 on SIGTERM, not 143.
        sun.misc.SignalHandler onSignal = s -> new Thread(() -> stop(cluster, 0), "streamtop-stop").start();
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), onSignal);
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), onSignal);
        cluster.submitTopology(TOPOLOGY, conf, topology);
        boolean nothingToRead = bounded && offs.start.entrySet().stream()
                .allMatch(e -> e.getValue() >= offs.end.getOrDefault(e.getKey(), 0L));
        if (!(bounded && nothingToRead)) {
            READY.await();
        }
        say("ready");
        if (!bounded) {
            Thread.currentThread().join(); // until a signal
        }
        if (!nothingToRead) {
            DRAINED.await();
        }
        say("done");
        stop(cluster, 0);
    }

    /** Kills the topology (the writer flushes as it closes) and the cluster, then exits; at most ~8 s. */
    private static synchronized void stop(LocalCluster cluster, int code) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(8000);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("storm did not stop within 8 s: exiting anyway");
            Runtime.getRuntime().halt(code);
        }, "streamtop-stop-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            KillOptions now = new KillOptions();
            now.set_wait_secs(0);
            cluster.killTopologyWithOpts(TOPOLOGY, now);
            cluster.close();
        } catch (Exception e) {
            System.err.println("stopping storm: " + e);
        }
        Runtime.getRuntime().halt(code);
    }

    /** Says ready (through READY) once the spout has been assigned its partitions and has seeked. */
    static final class ReadyListener implements org.apache.storm.kafka.spout.KafkaTupleListener {
        private static final long serialVersionUID = 1L;

        @Override
        public void open(Map<String, Object> conf, org.apache.storm.task.TopologyContext context) {}

        @Override
        public void onEmit(List<Object> tuple, org.apache.storm.kafka.spout.KafkaSpoutMessageId msgId) {}

        @Override
        public void onAck(org.apache.storm.kafka.spout.KafkaSpoutMessageId msgId) {}

        @Override
        public void onPartitionsReassigned(java.util.Collection<TopicPartition> partitions) {
            if (!partitions.isEmpty()) {
                READY.countDown();
            }
        }

        @Override
        public void onRetry(org.apache.storm.kafka.spout.KafkaSpoutMessageId msgId) {}

        @Override
        public void onMaxRetryReached(org.apache.storm.kafka.spout.KafkaSpoutMessageId msgId) {}
    }
}

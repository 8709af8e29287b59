package streamtop.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * The Kafka Streams 4.3.1 reference job (peers/README.md's contract): windowed sums of device events
 * in event time, with grace, dedup by id, every window update written to the output topic.
 *
 * <p>What Kafka Streams runs with, against streamtop's settings:
 * <ul>
 * <li>W: Kafka Streams has no watermark; a window closes when the task's stream time (the largest
 * device time it has seen) reaches end + grace. streamtop closes it when max device time − W reaches
 * end + lateness, so grace = W + lateness.
 * <li>idle: none. Stream time moves only with records (every task reads one partition, so
 * max.task.idle.ms has nothing to wait for); a quiet stream keeps its windows open, which changes no
 * result since every update is already emitted.
 * <li>Emission: on update, through the record cache (10 MB) flushed at each commit (every 1 s, both
 * guarantees): a window's latest value at most 1 s late, intermediate values may be skipped.
 * <li>Start: Kafka Streams takes no start offsets. When the group has no members, the job starts
 * fresh as kafka-streams-application-reset would: it deletes its internal topics and committed offsets
 * from any earlier run, commits --start (earliest for partitions not listed) on the events topic, and
 * wipes its local state. With members (another instance running) it joins them as they are.
 * <li>Keys: events keep their record key (SPEC §6: the device), so no repartition topic; an event with
 * no key cannot be grouped, and a device sent under several keys gets split sums (both said at start).
 * <li>Bounded: records the end offsets at start; done once the group's committed offsets reach them on
 * the events topic (a commit flushes the results first).
 * </ul>
 */
public final class KStreamsPeer {
    private static final long START_MS = ManagementFactory.getRuntimeMXBean().getStartTime();
    private static final CountDownLatch STOP = new CountDownLatch(1);
    private static final CountDownLatch CLOSED = new CountDownLatch(1);
    private static volatile int exitStatus = 0;

    private KStreamsPeer() {}

    public static void main(String[] args) {
        quietLogs();
        Job job = Job.parse(PeerArgs.parse(args, PeerArgs.AGGREGATE));
        // Registered only now: a bad argument exits 2 through System.exit, which the hook would turn into 0.
        Runtime.getRuntime().addShutdownHook(new Thread(KStreamsPeer::onShutdown, "streamtop-peer-shutdown"));
        Path stateDir = null;
        try {
            stateDir = job.tempState ? Files.createTempDirectory("streamtop-kstreams-") : Path.of(job.stateDir);
            exitStatus = run(job, stateDir);
        } catch (KStreamsAdmin.Failure | IOException | RuntimeException e) {
            System.err.println("streamtop peer kstreams: " + e.getMessage());
            if (!(e instanceof KStreamsAdmin.Failure)) {
                e.printStackTrace();
            }
            exitStatus = 1;
        } finally {
            if (job.tempState && stateDir != null) {
                deleteTree(stateDir);
            }
            CLOSED.countDown();
        }
        System.exit(exitStatus);
    }

    /** The job's arguments, checked (a bad one exits 2). */
    private static final class Job {
        String group;
        String guarantee;
        String stateDir;
        boolean tempState;
        long watermark;
        long lateness;
        boolean bounded;
        KStreamsTopology.Settings settings;
        Properties client;
        Map<Integer, Long> start;

        static Job parse(PeerArgs a) {
            Job j = new Job();
            // The peer's name is --engine: the exactly-once instance (--engine kstreams-eos) gets a group and an
            // output of its own by default, so the two guarantees never share one application.
            String engine = a.str("engine", "kstreams");
            j.group = a.str("group", "streamtop-peer-" + engine);
            j.guarantee = a.str("guarantee", "at_least_once");
            if (!j.guarantee.equals("at_least_once") && !j.guarantee.equals("exactly_once_v2")) {
                PeerArgs.usage("--guarantee must be at_least_once or exactly_once_v2, not " + j.guarantee);
            }
            if (!a.str("variant", "").isEmpty()) {
                PeerArgs.usage("unknown --variant " + a.str("variant", "") + " (the kstreams peer has none)");
            }
            long window = a.millis("window", 5000);
            if (window == 0) {
                PeerArgs.usage("--window must be > 0 ms");
            }
            j.watermark = a.millis("watermark", 1000);
            a.millis("idle", 6000);
            j.lateness = a.millis("lateness", 0);
            j.bounded = a.bool("bounded", false);
            j.stateDir = a.str("state-dir", "");
            j.tempState = j.stateDir.isEmpty();
            j.settings = new KStreamsTopology.Settings(a.str("events", "sampletopic"),
                    a.str("output", "aggregates." + engine), engine, window,
                    j.watermark + j.lateness, a.bool("dedup", true));
            j.client = a.kafkaProps();
            j.start = a.offsets("start");
            return j;
        }
    }

    /** SIGTERM (or any exit): stop the job, give main up to 9.5 s to close it, exit with its status (0 on SIGTERM). */
    private static void onShutdown() {
        STOP.countDown();
        try {
            CLOSED.await(9500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.flush();
        Runtime.getRuntime().halt(exitStatus);
    }

    /**
     * slf4j-simple on stderr, WARN and above unless -D says otherwise; late drops are counted by the job,
     * not logged per record.
     */
    private static void quietLogs() {
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        setDefault("org.slf4j.simpleLogger.log.org.apache.kafka.streams.kstream.internals.KStreamWindowAggregate",
                "error");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static int run(Job j, Path stateDir) throws KStreamsAdmin.Failure {
        KStreamsTopology.Settings s = j.settings;
        PeerArgs.say("settings window=" + s.window() + " watermark=" + j.watermark + " idle=none lateness="
                + j.lateness + " dedup=" + s.dedup() + " guarantee=" + j.guarantee + " grace=" + s.grace()
                + " emit=on-update commit=1000ms cache=10MB");
        if (s.dedup()) {
            PeerArgs.say("cannot dedup an id across partitions of the events topic (ids are kept per partition)");
        }
        PeerArgs.say("cannot aggregate events with no record key (SPEC §6 keys events by device; they are dropped)");
        PeerArgs.say("cannot merge a device's events sent under several record keys (sums are kept per record key,"
                + " so that device's results would split)");
        IsolationLevel isolation = j.guarantee.equals("exactly_once_v2")
                ? IsolationLevel.READ_COMMITTED : IsolationLevel.READ_UNCOMMITTED;
        try (KStreamsAdmin admin = new KStreamsAdmin(j.client, j.group, isolation)) {
            List<TopicPartition> events = admin.partitions(s.events(), "events");
            admin.partitions(s.output(), "output");
            Map<TopicPartition, Long> start = startOffsets(admin, events, j.start);
            int members = admin.members();
            if (members == 0) {
                admin.reset(start, internalTopics(j.group));
            } else {
                System.err.println("kstreams: group " + j.group + " has " + members
                        + " members: joining them, --start not applied");
            }
            Map<TopicPartition, Long> end = j.bounded ? admin.offsets(events, OffsetSpec.latest()) : null;
            Properties config = streamsConfig(j.client, j.group, j.guarantee, stateDir);
            KafkaStreams streams = new KafkaStreams(
                    KStreamsTopology.build(s, config, KStreamsPeer::firstResult), config);
            if (members == 0 && !j.tempState) {
                streams.cleanUp();
            }
            return runStreams(streams, admin, j.bounded ? new Bounded(end, start) : null);
        }
    }

    /**
     * --start on the events topic's partitions, earliest for those it does not list; an offset outside a
     * partition's records is brought to its nearest end (the consumer would otherwise reset it to earliest).
     */
    private static Map<TopicPartition, Long> startOffsets(KStreamsAdmin admin, List<TopicPartition> events,
            Map<Integer, Long> listed) throws KStreamsAdmin.Failure {
        Map<TopicPartition, Long> start = admin.offsets(events, OffsetSpec.earliest());
        Map<TopicPartition, Long> latest = admin.offsets(events, OffsetSpec.latest());
        String topic = events.get(0).topic();
        listed.forEach((p, o) -> {
            TopicPartition tp = new TopicPartition(topic, p);
            if (start.containsKey(tp)) {
                start.put(tp, Math.min(Math.max(o, start.get(tp)), latest.get(tp)));
            } else {
                System.err.println("kstreams: --start names partition " + p + ", which " + topic + " lacks");
            }
        });
        return start;
    }

    private static Set<String> internalTopics(String group) {
        return Set.of(group + "-" + KStreamsTopology.DEDUP_STORE + "-changelog",
                group + "-" + KStreamsTopology.SUMS_STORE + "-changelog");
    }

    private static Properties streamsConfig(Properties client, String group, String guarantee, Path stateDir) {
        Properties p = new Properties();
        p.putAll(client);
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, group);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "1000");
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, String.valueOf(10L * 1024 * 1024));
        p.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "classic");
        return p;
    }

    /** A bounded run's goal: the events topic's end offsets at start, and where the group started. */
    private record Bounded(Map<TopicPartition, Long> end, Map<TopicPartition, Long> start) {}

    private static final AtomicBoolean READY = new AtomicBoolean();
    private static final AtomicBoolean FAILED = new AtomicBoolean();

    private static void firstResult() {
        System.err.println("kstreams: first result after " + sinceStart() + " ms");
    }

    private static long sinceStart() {
        return System.currentTimeMillis() - START_MS;
    }

    private static int runStreams(KafkaStreams streams, KStreamsAdmin admin, Bounded bounded)
            throws KStreamsAdmin.Failure {
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING && READY.compareAndSet(false, true)) {
                System.err.println("kstreams: RUNNING after " + sinceStart() + " ms");
                PeerArgs.say("ready");
            } else if (now == KafkaStreams.State.ERROR) {
                FAILED.set(true);
                STOP.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("streamtop peer kstreams: stream thread failed: " + e);
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        streams.start();
        boolean done = false;
        try {
            done = await(admin, bounded);
        } finally {
            // Leaving the group (Kafka Streams stays a member until its session times out by default)
            // lets the next start find it empty and start fresh at once.
            boolean closed = streams.close(CloseOptions.groupMembershipOperation(
                    CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(8)));
            System.err.println("kstreams: " + (closed ? "closed" : "not closed in 8 s") + " after " + sinceStart()
                    + " ms; this process dropped " + KStreamsTopology.Judge.DUPLICATES.get() + " duplicates, "
                    + KStreamsTopology.Judge.LATE.get() + " late events, " + KStreamsTopology.Parse.NO_KEY.get()
                    + " events with no key");
        }
        if (FAILED.get()) {
            System.err.println("streamtop peer kstreams: Kafka Streams stopped in state ERROR");
            return 1;
        }
        if (done) {
            PeerArgs.say("done");
        }
        return 0;
    }

    /** Waits for SIGTERM or an error; bounded, also for the end. Returns true when a bounded run is done. */
    private static boolean await(KStreamsAdmin admin, Bounded bounded) throws KStreamsAdmin.Failure {
        long lastReport = System.currentTimeMillis();
        while (true) {
            try {
                if (STOP.await(200, TimeUnit.MILLISECONDS)) {
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (bounded == null || !READY.get()) {
                continue;
            }
            long behind = admin.behind(bounded.end(), bounded.start());
            if (behind == 0) {
                System.err.println("kstreams: events and their results committed after " + sinceStart() + " ms");
                return true;
            }
            if (System.currentTimeMillis() - lastReport >= 1000) {
                lastReport = System.currentTimeMillis();
                System.err.println("kstreams: " + behind + " records not yet committed on the events topic");
            }
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("kstreams: could not delete " + dir + ": " + e.getMessage());
        }
    }
}

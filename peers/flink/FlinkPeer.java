package streamtop.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.BlobServerOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Apache Flink 2.2 reference job (peers/README.md): a DataStream job on a local MiniCluster in
 * this JVM, reading streamtop's events topic with a KafkaSource and writing one result per window
 * emission with a KafkaSink. Main class of the Flink peer.
 */
public final class FlinkPeer {
    private static final Duration STOP_WITHIN = Duration.ofSeconds(8);

    private static volatile boolean stopping;

    private FlinkPeer() {}

    public static void main(String[] args) {
        quietLogging();
        FlinkSettings s = FlinkSettings.parse(args);
        PeerArgs.say(s.settingsLine());
        for (String line : s.cannotLines()) {
            PeerArgs.say(line);
        }
        Path stateDir = null;
        int code;
        boolean ownStateDir = s.stateDir.isEmpty();
        try {
            stateDir = ownStateDir ? Files.createTempDirectory("streamtop-peer-flink") : Path.of(s.stateDir);
            Files.createDirectories(stateDir);
            code = run(s, stateDir);
        } catch (Exception e) {
            System.err.println("streamtop peer flink: " + describe(e));
            code = 1;
        }
        exit(code, ownStateDir ? stateDir : null);
    }

    /** Runs the job to its end: 0 when a bounded input is done or SIGTERM stopped it, else 1. */
    private static int run(FlinkSettings s, Path stateDir) throws Exception {
        int parallelism = parallelism(s);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism,
                configuration(s, stateDir));
        FlinkJob.build(env, s);
        JobClient job = env.executeAsync("streamtop-peer " + s.engine);
        onSignal("TERM", job);
        onSignal("INT", job);
        awaitRunning(job);
        PeerArgs.say("ready");
        try {
            job.getJobExecutionResult().get();
        } catch (ExecutionException e) {
            if (stopping) {
                return 0;
            }
            System.err.println("streamtop peer flink: the job failed: " + describe(e));
            return 1;
        }
        if (stopping) {
            return 0;
        }
        if (!s.bounded) {
            System.err.println("streamtop peer flink: the unbounded job ended by itself");
            return 1;
        }
        PeerArgs.say("done");
        return 0;
    }

    /**
     * The MiniCluster's settings: state and temporary files under the state directory; checkpoints
     * (at-least-once: a failed task restarts from the last one, at most 3 times) only when unbounded,
     * as a bounded run would otherwise wait for a final checkpoint before it ends.
     */
    private static Configuration configuration(FlinkSettings s, Path stateDir) {
        Configuration c = new Configuration();
        c.set(CoreOptions.TMP_DIRS, stateDir.resolve("tmp").toString());
        c.set(BlobServerOptions.STORAGE_DIRECTORY, stateDir.resolve("blobs").toString());
        c.set(StateBackendOptions.STATE_BACKEND, "hashmap");
        if (!s.bounded) {
            c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(10));
            c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, stateDir.resolve("checkpoints").toUri().toString());
            c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(2));
        } else {
            c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        }
        return c;
    }

    /**
     * One parallel reader per partition of the events topic, at most one per core (but 2 on a
     * single core); 2 when the topic does not exist yet.
     */
    private static int parallelism(FlinkSettings s) {
        int cap = Math.max(2, Runtime.getRuntime().availableProcessors());
        int partitions = new FlinkFunctions.EventsPartitions(s.kafka, s.events).lookup().size();
        if (partitions == 0) {
            System.err.println("streamtop peer flink: " + s.events + " has no partitions yet; parallelism 2");
            return 2;
        }
        return Math.min(cap, partitions);
    }

    /** Waits until the job runs (or already ended: a tiny bounded input). */
    private static void awaitRunning(JobClient job) throws Exception {
        while (true) {
            JobStatus st = job.getJobStatus().get(30, TimeUnit.SECONDS);
            if (st == JobStatus.RUNNING || st.isGloballyTerminalState()) {
                return;
            }
            Thread.sleep(50);
        }
    }

    /** On the signal, cancels the job; main then exits 0. A stop that hangs is cut after 8 s. */
    private static void onSignal(String name, JobClient job) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
            if (stopping) {
                return;
            }
            stopping = true;
            Thread watchdog = new Thread(() -> {
                try {
                    Thread.sleep(STOP_WITHIN.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
                System.err.println("streamtop peer flink: the job did not stop within " + STOP_WITHIN.toSeconds()
                        + " s; exiting");
                Runtime.getRuntime().halt(0);
            }, "stop-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            job.cancel();
        });
    }

    /** Removes the state directory this process made (best effort), then exits with code. */
    private static void exit(int code, Path ownStateDir) {
        if (ownStateDir != null) {
            // Flink may still be removing its own files in there as the MiniCluster shuts down: a file
            // gone under the walk is no failure.
            try (Stream<Path> walk = Files.walk(ownStateDir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                if (Files.exists(ownStateDir)) {
                    System.err.println("streamtop peer flink: cannot remove " + ownStateDir + ": " + e.getMessage());
                }
            }
        }
        System.out.flush();
        System.exit(code);
    }

    /** Logging (slf4j-simple) goes to stderr at WARN unless the JVM's flags say otherwise. */
    private static void quietLogging() {
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        // Warnings a MiniCluster in a plain java process always gives (no Kerberos tokens, no log file
        // for the web dashboard): noise, not news.
        setDefault("org.slf4j.simpleLogger.log.org.apache.flink.runtime.security.token", "error");
        setDefault("org.slf4j.simpleLogger.log.org.apache.flink.runtime.webmonitor.WebMonitorUtils", "error");
        setDefault("org.slf4j.simpleLogger.log.org.apache.flink.metrics.MetricGroup", "error"); // KafkaSink's committer registers a metric twice
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage();
        return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg.lines().findFirst().orElse(""));
    }
}

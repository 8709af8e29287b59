#!/usr/bin/env python3
"""streamtop's Spark Structured Streaming peer (SPEC §9, peers/README.md).

Windowed sums of device events on device time: Kafka source (headers included, markers skipped),
events parsed with Spark SQL functions (SPEC §1's JSON, dt a number or a numeric string, or the text
form id|device|devicetime|category|m1|m2), withWatermark, dropDuplicatesWithinWatermark on the id,
window(), sum and count, update output mode, Kafka sink. Arguments are the contract's, plus --jars
(comma-separated: the jars of jars.lock, passed as spark.jars; default $STREAMTOP_SPARK_JARS).

What Spark runs with, said on the settings line and in `cannot` lines:
- lateness: Spark has no allowed lateness apart from the watermark. A window's state is dropped once
  the watermark (max event time − delay) passes its end, so the delay is set to W + lateness; update
  mode emits a window at every micro-batch that changes it, so nothing waits for W to fire it.
- idle: Spark's watermark is the maximum event time over all partitions minus the delay: no partition
  holds it back, and it moves only with new events (no idleness timeout).
- dedup: dropDuplicatesWithinWatermark forgets an id once the watermark passes its time + delay; when
  the delay is shorter than the window, a copy arriving later still finds its window open and counts.
- guarantee: the Kafka sink is at-least-once.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

ENGINE = "spark"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument on one line and exits 2 (the contract)."""

    def error(self, message):
        sys.stderr.write("streamtop peer: %s\n" % message)
        sys.exit(2)


def _millis(v):
    try:
        n = int(v)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of ms, not %s" % v)
    if n < 0:
        raise argparse.ArgumentTypeError("must be ≥ 0 ms, not %s" % v)
    return n


def _bool(v):
    if v not in ("true", "false"):
        raise argparse.ArgumentTypeError("must be true or false, not %s" % v)
    return v == "true"


def _offsets(v):
    """--start P:O,P:O… → {partition: offset}."""
    out = {}
    for part in filter(None, v.split(",")):
        po = part.split(":")
        try:
            if len(po) != 2:
                raise ValueError
            out[int(po[0])] = int(po[1])
        except ValueError:
            raise argparse.ArgumentTypeError("%s is not PARTITION:OFFSET" % part)
    return out


def parse_args(argv):
    p = _Parser(prog="spark_peer.py", allow_abbrev=False, add_help=False)
    p.add_argument("--brokers", required=True)
    p.add_argument("--kafka-props", default="")
    p.add_argument("--events", default="sampletopic")
    p.add_argument("--output", default="aggregates." + ENGINE)
    p.add_argument("--engine", default=ENGINE)
    p.add_argument("--window", type=_millis, default=5000)
    p.add_argument("--watermark", type=_millis, default=1000)
    p.add_argument("--idle", type=_millis, default=6000)
    p.add_argument("--lateness", type=_millis, default=0)
    p.add_argument("--dedup", type=_bool, default=True)
    p.add_argument("--start", type=_offsets, default={})
    p.add_argument("--bounded", type=_bool, default=False)
    p.add_argument("--group", default="streamtop-peer-" + ENGINE)
    p.add_argument("--state-dir", default="")
    p.add_argument("--guarantee", default="at_least_once")
    p.add_argument("--variant", default="")
    p.add_argument("--jars", default=os.environ.get("STREAMTOP_SPARK_JARS", ""))
    a = p.parse_args(argv)
    if a.window == 0:
        p.error("argument --window: must be > 0 ms")
    if a.guarantee != "at_least_once":
        p.error("argument --guarantee: the Spark peer's Kafka sink is at_least_once only")
    if a.variant:
        p.error("argument --variant: the Spark peer has no variants")
    if not a.jars:
        p.error("--jars (or $STREAMTOP_SPARK_JARS) is required: the Kafka connector's jars")
    return a


def say(line):
    """A line the streamtop runner reads on stdout."""
    sys.stdout.write("streamtop-peer %s\n" % line)
    sys.stdout.flush()


def read_properties(path):
    """A Java properties file's key=value (or key: value) lines; # and ! start comments."""
    props = {}
    if not path:
        return props
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line[0] in "#!":
                continue
            cut = min([i for i in (line.find("="), line.find(":")) if i >= 0] or [len(line)])
            props[line[:cut].strip()] = line[cut + 1:].strip()
    return props


def topic_partitions(spark, kafka_opts, topic):
    """The events topic's partitions, asked through the JVM's Kafka admin client (kafka-clients is in spark.jars)."""
    jvm = spark.sparkContext._jvm
    props = jvm.java.util.Properties()
    for k, v in kafka_opts.items():
        props.setProperty(k[len("kafka."):], v)
    admin = jvm.org.apache.kafka.clients.admin.Admin.create(props)
    try:
        names = jvm.java.util.Collections.singletonList(topic)
        unit = jvm.java.util.concurrent.TimeUnit.SECONDS
        desc = admin.describeTopics(names).allTopicNames().get(30, unit).get(topic)
        return sorted(p.partition() for p in desc.partitions())
    finally:
        admin.close()


def starting_offsets(spark, kafka_opts, topic, start):
    """Spark's startingOffsets: "earliest", or JSON naming every partition (−2: earliest for unlisted ones)."""
    if not start:
        return "earliest"
    import json
    offsets = {str(p): start.get(p, -2) for p in topic_partitions(spark, kafka_opts, topic)}
    return json.dumps({topic: offsets})


def events(spark, a, kafka_opts, start_json):
    """The events topic as rows (id, device, ts, category, m1, m2, malformed), markers dropped."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    reader = (spark.readStream.format("kafka").options(**kafka_opts)
              .option("subscribe", a.events).option("startingOffsets", start_json)
              .option("includeHeaders", "true").option("failOnDataLoss", "false")
              .option("groupIdPrefix", a.group))
    raw = reader.load()
    marker = (F.col("value").isNull() | (F.length("value") == 0)
              | F.coalesce(F.exists("headers", lambda h: h["key"].startswith("streamtop-")
                                    & (h["key"] != "streamtop-run")), F.lit(False)))
    schema = StructType([StructField("id", StringType()), StructField("di", StringType()),
                         StructField("dt", StringType()), StructField("c", StringType()),
                         StructField("m1", LongType()), StructField("m2", DoubleType())])
    text = F.trim(F.col("value").cast("string"))
    split = raw.where(~marker).select(text.alias("text")).select(
        "text", F.from_json("text", schema).alias("j"), F.split("text", r"\|", -1).alias("f"))
    is_json = F.col("text").startswith("{")
    text_ok = F.size("f") == 6

    def pick(json_field, i, cast):
        return F.when(is_json, F.col("j")[json_field].cast(cast)).when(
            text_ok, F.expr("try_cast(get(f, %d) AS %s)" % (i, cast)))

    rows = split.select(pick("id", 0, "STRING").alias("id"), pick("di", 1, "STRING").alias("device"),
                        F.expr("try_cast(CASE WHEN text LIKE '{%' THEN j.dt ELSE get(f, 2) END AS BIGINT)").alias("dt"),
                        pick("c", 3, "STRING").alias("category"), pick("m1", 4, "BIGINT").alias("m1"),
                        pick("m2", 5, "DOUBLE").alias("m2"))
    ok = (F.coalesce(F.length("id"), F.lit(0)).between(1, 256) & F.coalesce(F.length("device"), F.lit(0)).between(1, 256)
          & F.col("category").isNotNull() & (F.length("category") <= 256)
          & F.col("dt").isNotNull() & F.col("m1").isNotNull() & F.col("m2").isNotNull())
    rows = rows.withColumn("malformed", ~F.coalesce(ok, F.lit(False)))
    observed = rows.observe("streamtop", F.sum(F.col("malformed").cast("long")).alias("malformed"))
    return observed.where(~F.col("malformed")).withColumn("ts", F.timestamp_millis("dt"))


def aggregates(rows, a, delay_ms):
    """Windowed sums keyed device|category|window_end, valued as SPEC §3."""
    from pyspark.sql import functions as F

    rows = rows.withWatermark("ts", "%d milliseconds" % delay_ms)
    if a.dedup:
        rows = rows.dropDuplicatesWithinWatermark(["id"])
    agg = (rows.groupBy(F.window("ts", "%d milliseconds" % a.window), F.col("device"), F.col("category"))
           .agg(F.sum("m1").alias("m1_sum"), F.sum("m2").alias("m2_sum"), F.count(F.lit(1)).alias("count")))
    end = F.unix_millis(F.col("window.end"))
    value = F.to_json(F.struct(end.alias("window_end"), F.col("device"), F.col("category"), F.col("m1_sum"),
                               F.col("m2_sum"), F.col("count"), F.lit(a.engine).alias("engine")))
    key = F.concat_ws("|", F.col("device"), F.col("category"), end.cast("string"))
    return agg.select(key.alias("key"), value.alias("value"))


def settings(a, delay_ms):
    """The settings and cannot lines: what Spark really runs with."""
    say("settings window=%d watermark=%d idle=none lateness=0 dedup=%s guarantee=at_least_once"
        % (a.window, delay_ms, "within-watermark" if a.dedup else "false"))
    if a.lateness:
        say("cannot allow lateness apart from the watermark: its delay is watermark %d + lateness %d ms"
            % (a.watermark, a.lateness))
    say("cannot idle: the watermark is the maximum event time over all partitions and moves only with new events")
    if a.dedup and delay_ms < a.window:
        say("cannot dedup for a whole window: an id is forgotten once the watermark passes its time + %d ms"
            % delay_ms)


class Malformed:
    """Sums the malformed counts of the query's progress reports; says so on stderr at most once a second."""

    def __init__(self):
        self.total = 0
        self.seen = -1
        self.said = 0.0
        self.said_total = 0

    def update(self, query):
        for p in query.recentProgress:
            if p["batchId"] <= self.seen:
                continue
            self.seen = p["batchId"]
            row = (p.get("observedMetrics") or {}).get("streamtop")
            self.total += int(row["malformed"] or 0) if row is not None else 0
        now = time.monotonic()
        if self.total != self.said_total and now - self.said >= 1:
            self.said, self.said_total = now, self.total
            sys.stderr.write("malformed records skipped so far: %d\n" % self.total)


def session(a, state_dir):
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("streamtop-peer-spark")
             .config("spark.jars", a.jars).config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2").config("spark.local.dir", os.path.join(state_dir, "local"))
             .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    spark.sparkContext.setLogLevel("WARN")
    return spark


def wait_ready(query):
    """The query consumes once its sources are initialized and a trigger has begun."""
    while query.isActive:
        st = query.status
        if st["isTriggerActive"] or st["isDataAvailable"] or query.lastProgress:
            return
        time.sleep(0.1)


class Signals:
    """SIGTERM/SIGINT: before the query runs there is nothing to flush and SparkSession start-up cannot be
    interrupted, so the peer leaves at once (the gateway JVM exits when its pipe from Python closes);
    once the query runs, the main loop stops it cleanly."""

    def __init__(self):
        self.query_started = False
        self.stopping = False
        self.temp_dir = ""  # removed before leaving at once
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)

    def _on_signal(self, *_):
        if not self.query_started:
            if self.temp_dir:
                shutil.rmtree(self.temp_dir, ignore_errors=True)
            os._exit(0)
        self.stopping = True


def run(a, state_dir, sig):
    """Runs the query until a bounded input is done or a signal asks it to stop."""
    spark = session(a, state_dir)
    kafka_opts = {"kafka." + k: v for k, v in read_properties(a.kafka_props).items()}
    kafka_opts["kafka.bootstrap.servers"] = a.brokers
    delay_ms = a.watermark + a.lateness
    settings(a, delay_ms)
    out = aggregates(events(spark, a, kafka_opts, starting_offsets(spark, kafka_opts, a.events, a.start)), a, delay_ms)
    writer = (out.writeStream.format("kafka").options(**kafka_opts).option("topic", a.output)
              .outputMode("update").option("checkpointLocation", os.path.join(state_dir, "checkpoint")))
    writer = writer.trigger(availableNow=True) if a.bounded else writer
    query = writer.start()
    sig.query_started = True
    wait_ready(query)
    say("ready")
    malformed = Malformed()
    try:
        while query.isActive and not sig.stopping:
            query.awaitTermination(0.5)
            malformed.update(query)
    except Exception as e:  # the query failed, or the JVM went away under a signal
        if not sig.stopping:
            sys.stderr.write("spark peer: the query failed: %s\n" % str(e).splitlines()[0])
            return 1
    if sig.stopping:
        for halt in (query.stop, spark.stop):
            try:
                halt()
            except Exception:  # the JVM may have had the signal too (a process group) and be gone
                pass
        return 0
    if query.exception() is not None:
        sys.stderr.write("spark peer: the query failed: %s\n" % str(query.exception()).splitlines()[0])
        return 1
    malformed.update(query)
    say("done")
    spark.stop()
    return 0


def main(argv):
    a = parse_args(argv)
    sig = Signals()
    own = not a.state_dir
    state_dir = a.state_dir or tempfile.mkdtemp(prefix="streamtop-peer-spark-")
    sig.temp_dir = state_dir if own else ""
    try:
        return run(a, state_dir, sig)
    finally:
        if own:
            shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

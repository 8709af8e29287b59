package streamtop.peers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What Kafka Streams cannot be told and the Admin client can: where the application starts (its
 * consumer group's offsets, set before it starts), and when a bounded run has read, processed and
 * committed everything (the group's committed offsets against the end offsets).
 */
final class KStreamsAdmin implements AutoCloseable {
    private static final long TIMEOUT_S = 30;
    private final Admin admin;
    private final String group;
    private final IsolationLevel isolation;

    KStreamsAdmin(java.util.Properties clientProps, String group, IsolationLevel isolation) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(clientProps);
        p.setProperty("default.api.timeout.ms", String.valueOf(TIMEOUT_S * 1000));
        this.admin = Admin.create(p);
        this.group = group;
        this.isolation = isolation;
    }

    /** A failure the peer reports in one line and exits 1 on. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String msg, Throwable cause) {
            super(msg, cause);
        }
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f, String what) throws Failure {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new Failure(what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new Failure(what + ": no answer in " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(what + ": interrupted", e);
        }
    }

    /** The partitions of topic; fails clearly if it does not exist. */
    List<TopicPartition> partitions(String topic, String role) throws Failure {
        TopicDescription d;
        try {
            d = admin.describeTopics(List.of(topic)).topicNameValues().get(topic).get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new Failure(role + " topic " + topic + " does not exist (streamtop creates it before a run;"
                        + " create it first for a standalone run)", e.getCause());
            }
            throw new Failure("describe topic " + topic + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            throw new Failure("describe topic " + topic + ": no answer", e);
        }
        List<TopicPartition> tps = new ArrayList<>();
        d.partitions().forEach(p -> tps.add(new TopicPartition(topic, p.partition())));
        return tps;
    }

    Map<TopicPartition, Long> offsets(List<TopicPartition> tps, OffsetSpec spec) throws Failure {
        Map<TopicPartition, OffsetSpec> req = new HashMap<>();
        tps.forEach(tp -> req.put(tp, spec));
        Map<TopicPartition, Long> out = new HashMap<>();
        get(admin.listOffsets(req, new ListOffsetsOptions(isolation)).all(), "list offsets")
                .forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    /** Members of the application's group now (0 if the group does not exist). */
    int members() throws Failure {
        try {
            return admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
                    .get(TIMEOUT_S, TimeUnit.SECONDS).members().size();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupIdNotFoundException) {
                return 0;
            }
            throw new Failure("describe group " + group + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            throw new Failure("describe group " + group + ": no answer", e);
        }
    }

    /**
     * A fresh start, as kafka-streams-application-reset does it: deletes the application's internal
     * topics (its state's changelogs, from an earlier run of the same group) and the group's
     * committed offsets, then commits the start offsets on the events topic. Only called when the
     * group has no members.
     */
    void reset(Map<TopicPartition, Long> start, Set<String> internalTopics) throws Failure {
        List<String> stale = new ArrayList<>(get(admin.listTopics().names(), "list topics"));
        stale.retainAll(internalTopics);
        if (!stale.isEmpty()) {
            System.err.println("kstreams: fresh start: deleting the internal topics of an earlier run " + stale);
            get(admin.deleteTopics(stale).all(), "delete internal topics " + stale);
            awaitGone(stale);
        }
        try {
            admin.deleteConsumerGroups(List.of(group)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw new Failure("delete group " + group + ": " + e.getCause().getMessage(), e.getCause());
            }
        } catch (TimeoutException | InterruptedException e) {
            throw new Failure("delete group " + group + ": no answer", e);
        }
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        start.forEach((tp, o) -> commit.put(tp, new OffsetAndMetadata(o)));
        get(admin.alterConsumerGroupOffsets(group, commit).all(), "set start offsets of group " + group);
    }

    private void awaitGone(List<String> topics) throws Failure {
        for (int i = 0; i < 300; i++) {
            Set<String> names = get(admin.listTopics().names(), "list topics");
            if (topics.stream().noneMatch(names::contains)) {
                return;
            }
            sleep(100);
        }
        throw new Failure("internal topics " + topics + " still exist 30 s after their deletion", null);
    }

    /**
     * How many records, over the partitions of end, the group's committed offsets still lack to reach end
     * (a partition where from ≥ end has nothing to read).
     */
    long behind(Map<TopicPartition, Long> end, Map<TopicPartition, Long> from) throws Failure {
        Map<TopicPartition, OffsetAndMetadata> committed = get(
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(), "committed offsets");
        long behind = 0;
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            long at = Math.max(from.getOrDefault(e.getKey(), 0L), c == null ? 0 : c.offset());
            behind += Math.max(0, e.getValue() - at);
        }
        return behind;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        admin.close(java.time.Duration.ofSeconds(5));
    }
}

package kafka

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Commit is one partition's group commit: the offset to resume from and
// metadata (see CommitMeta).
type Commit struct {
	Partition int32
	Offset    int64
	Metadata  string
}

// ErrNotMember: the client is not (or no longer) a member of its group.
var ErrNotMember = errors.New("not a group member")

// CommitOffsets commits cs for topic in the client's group, as the member of
// the generation the client is in. A partition the broker refused is an
// error naming it; the others are committed.
func CommitOffsets(ctx context.Context, cl *kgo.Client, group, topic string, topicID [16]byte, cs []Commit) error {
	member, gen := cl.GroupMetadata()
	if member == "" {
		return ErrNotMember
	}
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = group, gen, member
	t := kmsg.NewOffsetCommitRequestTopic()
	t.Topic, t.TopicID = topic, topicID
	for _, c := range cs {
		meta := c.Metadata
		cp := kmsg.NewOffsetCommitRequestTopicPartition()
		cp.Partition, cp.Offset, cp.LeaderEpoch, cp.Metadata = c.Partition, c.Offset, -1, &meta
		t.Partitions = append(t.Partitions, cp)
	}
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	var errs []error
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				errs = append(errs, fmt.Errorf("commit %s/%d: %w", topic, rp.Partition, err))
			}
		}
	}
	return errors.Join(errs...)
}

// CommittedFloors reads the floors (CommitMeta) of topic's commits in group.
func CommittedFloors(ctx context.Context, adm *kadm.Client, group, topic string) (map[int32]Floor, error) {
	resp, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("committed offsets of %s: %w", group, err)
	}
	out := map[int32]Floor{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.Topic != topic || o.Err != nil {
			return
		}
		if f, ok := ParseCommitMeta(o.Metadata); ok {
			out[o.Partition] = f
		}
	})
	return out, nil
}

// TopicID returns a topic's id (zero when the cluster has none to give).
func TopicID(ctx context.Context, adm *kadm.Client, topic string) [16]byte {
	td, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return [16]byte{}
	}
	return td[topic].ID
}

package enginerun

// The merged read queues what a partition brings ahead of the others until
// they catch up. Fetches bring the same bytes of every partition, not the
// same span of time: a partition with fewer devices brings more of it, and
// over a long backlog its queue grew to a third of the topic (a million
// records on 3 M events, with the decompressed batches they point into),
// which the garbage collector scanned at every cycle and the caches never
// held. A partition whose queue is long is not fetched until the merge has
// drained it: the merged order does not depend on when records arrive.

// pauseAbove and resumeBelow bound a partition's merge queue, in records:
// fetching it stops above the one and starts again below the other.
const pauseAbove, resumeBelow = 1 << 12, 1 << 10

// fetchPartitionBytes is the most a fetch brings of one partition [the
// client's 1 MiB]. Smaller fetches are decoded while their bytes are still
// in cache: on 3 M events, 1 MiB and a queue of 32 K records cost 4.5 µs of
// CPU per event, 256 KiB and 8 K records 3.7, 64 KiB and 4 K records about
// the same (a fetch still brings whole batches).
const fetchPartitionBytes = 64 << 10

// throttle pauses the fetching of the partitions whose merge queue is long
// and resumes those drained (or no longer owned).
func (r *Runner) throttle() {
	if !r.cfg.Merge || r.cl == nil {
		return
	}
	var pause, resume []int32
	for _, p := range r.parts {
		n := p.queue.len()
		switch {
		case !p.paused && p.owned && n > pauseAbove:
			pause, p.paused = append(pause, p.id), true
		case p.paused && (!p.owned || n < resumeBelow):
			resume, p.paused = append(resume, p.id), false
		}
	}
	if len(pause) > 0 {
		r.cl.PauseFetchPartitions(map[string][]int32{r.cfg.Events: pause})
	}
	if len(resume) > 0 {
		r.cl.ResumeFetchPartitions(map[string][]int32{r.cfg.Events: resume})
	}
}

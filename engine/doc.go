// Package engine holds streamtop's pure stream logic: the device event and
// result formats (SPEC §1, §3), tumbling-window arithmetic, the windowing
// engine itself (event time with a watermark, processing time, micro-batch,
// de-duplication) and the rate pipeline (SPEC §5).
//
// Nothing here starts a goroutine, does I/O or reads the clock: every
// function that needs "now" takes it as an argument, so a table test can
// drive any scenario with explicit timestamps. The Kafka and bus wiring that
// feeds it lives in package feed.
package engine

// Package sim is the pure simulation: the generator of device events with
// duplicates, late and out-of-order events (SPEC §2), the truth it keeps, and
// the replay of recorded files. No I/O beyond an io.Reader, no clock.
package sim

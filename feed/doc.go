// Package feed is everything in streamtop that moves data: the injector of
// simulated devices and its truths, the rate sources, the Kafka adapters that
// run the pure engine and comparator against topics, the embedded broker,
// the shared controls that keys change, and the in-process bus that carries
// statuses to the screen.
//
// Data flows one way: feed → bus → engine → compare → tui. The pure logic
// lives in packages engine and compare; this package owns goroutines, I/O
// and the clock.
package feed

// Package inject is the injector role: simulated devices (or a replayed file)
// producing events to Kafka, keeping their truth and publishing it on the bus.
package inject

// Package bus is the in-process event bus and the plain data every role
// publishes on it: statuses, log entries, truth batches, and the shared live
// settings (Controls) that keys change. It is the only feed package the screen
// imports: it knows nothing of Kafka or Cassandra.
package bus

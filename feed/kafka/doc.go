// Package kafka is streamtop's one adapter to Kafka: connection settings (TLS,
// SASL), topics, the record headers that carry markers, the codecs of progress
// records and commit metadata, and the embedded broker.
package kafka

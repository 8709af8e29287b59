// Package cassandra adapts the Cassandra store (package cass) to the roles:
// truth written and read, results written as an engine sink, and the
// original boontadata tables read as truth or downstream.
package cassandra

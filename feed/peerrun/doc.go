// Package peerrun runs one reference engine process (a peer, SPEC §9): it
// launches the command package peers made, reads the contract's lines on
// its stdout, keeps the tail of its log, samples its process tree's CPU and
// memory, and stops it (and everything it started) when asked. Its status
// goes to the bus.
package peerrun

// Package rates is the rate pipeline of the ProActive demo (SPEC §5): tick
// sources, the pipeline between its four topics, and a watcher of its outputs.
package rates

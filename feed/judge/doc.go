// Package judge is the comparator role: truth from a TruthSource, results from
// a DownSource, the verdict (SPEC §4) published on the bus.
package judge

// Package enginerun is the engine role: it runs the pure engine against the
// events topic and writes results and progress records (SPEC §3, §6).
package enginerun

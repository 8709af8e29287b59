// Package observe watches a distributed run from its topics alone: the
// events and the engines' progress, for `streamtop watch`.
package observe

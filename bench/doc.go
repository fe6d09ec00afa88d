// Package bench is Keel's benchmark suite: a timing harness that reports the
// median of repeated runs, the machine's measured FMA peak, and the JSON record
// that every `keel bench ... --json` line carries.
package bench

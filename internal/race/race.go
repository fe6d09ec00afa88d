//go:build race

// Package race says whether the race detector is on, for tests whose
// expectations it changes (sync.Pool drops items at random under it, so
// allocation counts differ).
package race

// Enabled is true under go test -race.
const Enabled = true

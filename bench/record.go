package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
)

// Record is one benchmark result: one JSON object per line under --json.
// Fields beyond the common ones (m, n, k, direction, model, ...) go in Extra and
// are written at the top level of the object.
type Record struct {
	Bench      string  // suite: gemm, conv, data, models, train
	Name       string  // what was measured within the suite
	Threads    int     // threads the kernels used
	Batch      int     // batch size, where it applies (0: omitted)
	Seconds    float64 // median of the timed runs
	GFLOPS     float64 // 2 x multiply-adds of the direct algorithm / Seconds (0: omitted)
	PeakGFLOPS float64 // measured FMA peak at Threads
	GBytesPerS float64 // for memory-bound results (0: omitted)
	// PeakRSSBytes is the process's peak resident set size while the figure
	// was measured (0: unknown, omitted; see Models).
	PeakRSSBytes int64
	Extra        map[string]any

	// The table's own presentation, never in JSON.
	Label     string // the table's name when it says more than Name (the table has no direction column)
	Note      string // a line the table prints under the record
	TableOnly bool   // a machine figure the table shows; JSON lines are results only
}

// Sink receives records as a suite measures them; *Writer is one.
type Sink interface{ Write(Record) error }

// MarshalJSON flattens Extra into the object.
func (r Record) MarshalJSON() ([]byte, error) {
	m := map[string]any{
		"bench":       r.Bench,
		"name":        r.Name,
		"threads":     r.Threads,
		"seconds":     r.Seconds,
		"peak_gflops": r.PeakGFLOPS,
	}
	if r.Batch > 0 {
		m["batch"] = r.Batch
	}
	if r.GFLOPS > 0 {
		m["gflops"] = r.GFLOPS
	}
	if r.GBytesPerS > 0 {
		m["gbytes_per_s"] = r.GBytesPerS
	}
	if r.PeakRSSBytes > 0 {
		m["peak_rss_bytes"] = r.PeakRSSBytes
	}
	maps.Copy(m, r.Extra)
	return json.Marshal(m)
}

// FractionOfPeak is GFLOPS / PeakGFLOPS (0 when either is unknown).
func (r Record) FractionOfPeak() float64 {
	if r.PeakGFLOPS <= 0 || r.GFLOPS <= 0 {
		return 0
	}
	return r.GFLOPS / r.PeakGFLOPS
}

// Writer prints records either as JSON lines or as an aligned human table.
type Writer struct {
	Out     io.Writer
	JSON    bool
	started bool
}

// Write prints one record.
func (w *Writer) Write(r Record) error {
	if w.JSON {
		if r.TableOnly {
			return nil
		}
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w.Out, "%s\n", b)
		return err
	}
	if !w.started {
		fmt.Fprintf(w.Out, "%-8s %-42s %7s %5s %12s %9s %7s\n", "bench", "name", "threads", "batch", "ms", "GFLOP/s", "%peak")
		w.started = true
	}
	batch := "-"
	if r.Batch > 0 {
		batch = fmt.Sprint(r.Batch)
	}
	gf, pk := "-", "-"
	if r.GFLOPS > 0 {
		gf = fmt.Sprintf("%.1f", r.GFLOPS)
	}
	if f := r.FractionOfPeak(); f > 0 {
		pk = fmt.Sprintf("%.0f%%", 100*f)
	}
	name := r.Name
	if r.Label != "" {
		name = r.Label
	}
	line := fmt.Sprintf("%-8s %-42s %7d %5s %12.3f %9s %7s", r.Bench, name, r.Threads, batch, r.Seconds*1e3, gf, pk)
	if r.GBytesPerS > 0 {
		line += fmt.Sprintf("  %.1f GB/s", r.GBytesPerS)
	}
	if r.PeakRSSBytes > 0 {
		line += fmt.Sprintf("  peak RSS %.0f MB", float64(r.PeakRSSBytes)/1e6)
	}
	if r.Note != "" {
		line += "\n" + r.Note
	}
	_, err := fmt.Fprintln(w.Out, line)
	return err
}

// Records is a Sink that keeps what it is given.
type Records []Record

// Write appends r.
func (rs *Records) Write(r Record) error {
	*rs = append(*rs, r)
	return nil
}

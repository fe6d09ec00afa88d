package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress is a one-line bar, "predict [=====>    ] 120/400 images 14.2/s",
// redrawn at most ten times a second. A nil *progress draws nothing, so
// callers need not check whether one is shown.
type progress struct {
	out         io.Writer
	label, unit string
	done, total int
	start, last time.Time
}

// newProgress is a bar on stderr when stderr is a terminal and the work is
// long enough to want one; nil otherwise (pipes and logs get no \r noise).
func newProgress(label, unit string, total int, long bool) *progress {
	if !long || !isTerminal(os.Stderr) {
		return nil
	}
	return &progress{out: os.Stderr, label: label, unit: unit, total: total, start: time.Now()}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// add counts n more items done.
func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.done += n
	if time.Since(p.last) > 100*time.Millisecond || p.done == p.total {
		p.draw()
	}
}

// clear erases the bar so a message can take its line; the next add draws it
// again.
func (p *progress) clear() {
	if p != nil {
		fmt.Fprint(p.out, "\r\x1b[K")
	}
}

// finish leaves the bar, complete, on its own line.
func (p *progress) finish() {
	if p != nil {
		p.draw()
		fmt.Fprintln(p.out)
	}
}

func (p *progress) draw() {
	p.last = time.Now()
	const width = 30
	n := width * p.done / max(p.total, 1)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n > 0 && n < width {
		bar = bar[:n-1] + ">" + bar[n:]
	}
	rate := float64(p.done) / max(time.Since(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.out, "\r%s [%s] %d/%d %s %.1f/s", p.label, bar, p.done, p.total, p.unit, rate)
}

package nn

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// Progress is Fit's Keras-style progress output (Keras' ProgbarLogger and
// Progbar): "Epoch 1/5", then on a terminal a bar redrawn in place,
//
//	12/40 [======>.......................] - ETA: 3s - loss: 0.4213 - accuracy: 0.8810
//
// ending with the epoch's line with its time and the validation values;
// in Lines mode (output not a terminal: logs, CI) one line per epoch, Keras'
// verbose=2 line with the epoch in front, so that each line stands alone:
//
//	Epoch 1/5 - 40/40 - 2s - loss: 0.4213 - accuracy: 0.8810 - val_loss: 0.5012 - val_accuracy: 0.8300
//
// Fit adds one by itself (FitOptions.Verbose); it is exported for custom
// loops.
type Progress struct {
	CallbackBase
	Out   io.Writer
	Lines bool // one line per epoch instead of the bar
	Width int  // bar width, default 30
	// Interval is the least time between redraws (default 50ms).
	Interval time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time

	epoch       string // "Epoch 2/5"
	start, last time.Time
	prevWidth   int
	partial     bool // a bar line is drawn without its newline
	lossSum     float64
	seen        int
	keys        []string
	vals        Logs
}

// newProgress returns the progress callback for a verbosity, or nil.
func newProgress(v Verbosity, out io.Writer) *Progress {
	switch v {
	case VerboseSilent:
		return nil
	case VerboseBar:
		return &Progress{Out: out}
	case VerboseLines:
		return &Progress{Out: out, Lines: true}
	}
	return &Progress{Out: out, Lines: !IsTerminal(out)}
}

// IsTerminal says whether w is a character device (a terminal).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *Progress) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Progress) OnEpochBegin(f *Fitting, epoch int) error {
	p.epoch = fmt.Sprintf("Epoch %d/%d", epoch+1, f.Epochs)
	if !p.Lines {
		fmt.Fprintln(p.Out, p.epoch)
	}
	p.start = p.now()
	p.last = time.Time{}
	p.prevWidth, p.lossSum, p.seen, p.keys, p.vals = 0, 0, 0, nil, Logs{}
	return nil
}

func (p *Progress) OnBatchEnd(f *Fitting, batch int, logs Logs) error {
	size := int(logs["size"])
	p.seen += size
	p.lossSum += logs["loss"] * float64(size)
	for _, k := range logs.Keys() {
		if k == "batch" || k == "size" {
			continue
		}
		v := logs[k]
		if k == "loss" {
			v = p.lossSum / float64(max(p.seen, 1))
		}
		p.set(k, v)
	}
	if p.Lines || batch+1 >= f.Steps {
		return nil // the epoch's end draws the last state
	}
	now := p.now()
	interval := p.Interval
	if interval == 0 {
		interval = 50 * time.Millisecond
	}
	if !p.last.IsZero() && now.Sub(p.last) < interval {
		return nil
	}
	p.last = now
	p.draw(batch+1, f.Steps, now, false)
	return nil
}

func (p *Progress) set(k string, v float64) {
	if _, ok := p.vals[k]; !ok {
		p.keys = append(p.keys, k)
	}
	p.vals[k] = v
}

func (p *Progress) OnEpochEnd(f *Fitting, epoch int, logs Logs) error {
	for _, k := range logs.Keys() {
		p.set(k, logs[k])
	}
	p.draw(f.Steps, f.Steps, p.now(), true)
	return nil
}

// draw writes the bar (or the epoch line) for current of target steps.
func (p *Progress) draw(current, target int, now time.Time, final bool) {
	elapsed := now.Sub(p.start).Seconds()
	digits := int(math.Floor(math.Log10(float64(target)))) + 1
	count := fmt.Sprintf("%*d/%d", digits, current, target)
	perStep := 0.0
	if current > 0 {
		perStep = elapsed / float64(current)
	}
	var b strings.Builder
	if p.Lines {
		b.WriteString(p.epoch + " - " + count)
		fmt.Fprintf(&b, " - %.0fs", elapsed)
		p.writeValues(&b)
		b.WriteString("\n")
		io.WriteString(p.Out, b.String())
		return
	}
	width := p.Width
	if width == 0 {
		width = 30
	}
	b.WriteString(count + " [")
	filled := int(float64(width) * float64(current) / float64(target))
	if filled > 0 {
		b.WriteString(strings.Repeat("=", filled-1))
		if current < target {
			b.WriteString(">")
		} else {
			b.WriteString("=")
		}
	}
	b.WriteString(strings.Repeat(".", width-filled))
	b.WriteString("]")
	if final {
		fmt.Fprintf(&b, " - %.0fs", elapsed)
		switch {
		case perStep >= 1:
			fmt.Fprintf(&b, " %.0fs/step", perStep)
		case perStep >= 1e-3:
			fmt.Fprintf(&b, " %.0fms/step", perStep*1e3)
		default:
			fmt.Fprintf(&b, " %.0fus/step", perStep*1e6)
		}
	} else {
		b.WriteString(" - ETA: " + etaString(perStep*float64(target-current)))
	}
	p.writeValues(&b)
	line := b.String()
	if pad := p.prevWidth - len(line); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	p.prevWidth = len(b.String())
	if final {
		line += "\n"
	}
	io.WriteString(p.Out, "\r"+line)
	p.partial = !final
}

// OnTrainEnd ends a bar left unfinished by a cancelled or failed fit.
func (p *Progress) OnTrainEnd(f *Fitting, logs Logs) error {
	if p.partial {
		io.WriteString(p.Out, "\n")
		p.partial = false
	}
	return nil
}

func (p *Progress) writeValues(b *strings.Builder) {
	for _, k := range p.keys {
		v := p.vals[k]
		if math.Abs(v) > 1e-3 {
			fmt.Fprintf(b, " - %s: %.4f", k, v)
		} else {
			fmt.Fprintf(b, " - %s: %.4e", k, v)
		}
	}
}

// etaString is Keras' ETA: seconds, m:ss or h:mm:ss.
func etaString(eta float64) string {
	e := int(eta)
	switch {
	case eta > 3600:
		return fmt.Sprintf("%d:%02d:%02d", e/3600, e%3600/60, e%60)
	case eta > 60:
		return fmt.Sprintf("%d:%02d", e/60, e%60)
	}
	return fmt.Sprintf("%ds", e)
}

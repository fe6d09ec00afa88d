package bench

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseVmHWM(t *testing.T) {
	const status = "Name:\tkeel\nUmask:\t0022\nState:\tR (running)\nVmPeak:\t 2345678 kB\nVmSize:\t 2345600 kB\n" +
		"VmLck:\t       0 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  120000 kB\nThreads:\t8\n"
	for _, c := range []struct {
		name, text string
		want       int64
		err        string
	}{
		{"status", status, 123456 << 10, ""},
		{"no line", "Name:\tkeel\nVmRSS:\t 1 kB\n", 0, "no VmHWM line"},
		{"no unit", "VmHWM:\t 12\n", 0, `VmHWM: unexpected "\t 12"`},
		{"not a number", "VmHWM:\t 1x2 kB\n", 0, `VmHWM: unexpected "\t 1x2 kB"`},
		{"negative", "VmHWM:\t -4 kB\n", 0, `VmHWM: unexpected "\t -4 kB"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseVmHWM(strings.NewReader(c.text))
			if c.err != "" {
				require.EqualError(t, err, c.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.want, got)
		})
	}
}

// Each models record has its own peak RSS on Linux: a tiny MobileNet's,
// at least the memory of the process running it, which a fresh mark keeps
// well below that of a large buffer touched before the reset.
func TestModelsPeakRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("peak_rss_bytes is Linux's")
	}
	reset := resetPeakRSS() // does this kernel take the reset Models does?
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = 1
	}
	before := peakRSS()
	require.Greater(t, before, int64(256<<20))
	big = nil
	var recs Records
	require.NoError(t, Models(ModelsOptions{Common: Common{Threads: []int{1}}, Models: []string{"mobilenet"}, Batch: 1, InputSize: 32,
		Timing: Options{Samples: 1, MinSample: time.Nanosecond}}, &recs))
	require.Len(t, recs, 1)
	t.Logf("peak before %d MB, model %d MB, reset %v", before>>20, recs[0].PeakRSSBytes>>20, reset)
	require.Positive(t, recs[0].PeakRSSBytes)
	if reset {
		require.Less(t, recs[0].PeakRSSBytes, before-128<<20, "the mark was reset before the model")
	}
	b, err := recs[0].MarshalJSON()
	require.NoError(t, err)
	require.Contains(t, string(b), `"peak_rss_bytes":`)
}

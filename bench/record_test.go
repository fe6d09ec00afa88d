package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWriterTableAndJSON(t *testing.T) {
	recs := []Record{
		{Bench: "conv", Name: "memcopy_64MiB", Threads: 1, Seconds: 0.01, GBytesPerS: 12.5, TableOnly: true},
		{Bench: "conv", Name: "vgg16/block1_conv1", Label: "vgg16/block1_conv1 fwd", Threads: 1, Batch: 1, Seconds: 0.002,
			GFLOPS: 50, PeakGFLOPS: 100, Extra: map[string]any{"direction": "forward"}},
		{Bench: "data", Name: "folder_to8_bilinear", Threads: 2, Seconds: 0.5, Note: "  12.0 images/s"},
	}
	var table, js bytes.Buffer
	tw, jw := &Writer{Out: &table}, &Writer{Out: &js, JSON: true}
	for _, r := range recs {
		require.NoError(t, tw.Write(r))
		require.NoError(t, jw.Write(r))
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	require.Len(t, lines, 5, table.String())
	require.Regexp(t, `^bench\s+name\s+threads\s+batch\s+ms\s+GFLOP/s\s+%peak$`, lines[0])
	require.Regexp(t, `^conv\s+memcopy_64MiB\s+1\s+-\s+10\.000\s+-\s+-\s+12\.5 GB/s$`, lines[1])
	require.Regexp(t, `^conv\s+vgg16/block1_conv1 fwd\s+1\s+1\s+2\.000\s+50\.0\s+50%$`, lines[2])
	require.Equal(t, "  12.0 images/s", lines[4])
	require.Equal(t, `{"batch":1,"bench":"conv","direction":"forward","gflops":50,"name":"vgg16/block1_conv1","peak_gflops":100,"seconds":0.002,"threads":1}
{"bench":"data","name":"folder_to8_bilinear","peak_gflops":0,"seconds":0.5,"threads":2}
`, js.String(), "JSON has results only, without the table's labels and notes")
}

// The conv suite on one layer: its records and the table-only copy bandwidth.
func TestConvSuite(t *testing.T) {
	var recs Records
	require.NoError(t, Conv(ConvOptions{Common: Common{Threads: []int{1}}, Models: []string{"vgg16"}, Layers: []string{"block5_conv3"},
		Directions: []string{"forward", "backward_input"}, Batch: 1, Timing: Options{Samples: 1, MinSample: time.Nanosecond}}, &recs))
	require.Len(t, recs, 3)
	require.True(t, recs[0].TableOnly)
	for i, dir := range []string{"forward", "backward_input"} {
		r := recs[1+i]
		require.Equal(t, "vgg16/block5_conv3", r.Name)
		require.Equal(t, dir, r.Extra["direction"])
		require.Equal(t, 14, r.Extra["h"])
		require.Equal(t, 512, r.Extra["cin"])
		require.Positive(t, r.GFLOPS)
	}
	require.Equal(t, "vgg16/block5_conv3 bwd-in", recs[2].Label)

	err := Conv(ConvOptions{Models: []string{"alexnet"}}, &recs)
	require.EqualError(t, err, `--models: unknown model "alexnet" (have vgg16, mobilenet, resnet50)`)
}

// peak_rss_bytes is in the JSON and on the table's line when known, and
// omitted when not.
func TestWriterPeakRSS(t *testing.T) {
	var table, js bytes.Buffer
	tw, jw := &Writer{Out: &table}, &Writer{Out: &js, JSON: true}
	for _, r := range []Record{
		{Bench: "models", Name: "vgg16", Threads: 1, Batch: 1, Seconds: 0.5, PeakRSSBytes: 600e6},
		{Bench: "models", Name: "resnet50", Threads: 1, Batch: 1, Seconds: 0.2},
	} {
		require.NoError(t, tw.Write(r))
		require.NoError(t, jw.Write(r))
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	require.Len(t, lines, 3, table.String())
	require.Regexp(t, `^models\s+vgg16\s+1\s+1\s+500\.000\s+-\s+-  peak RSS 600 MB$`, lines[1])
	require.NotContains(t, lines[2], "RSS")
	require.Equal(t, `{"batch":1,"bench":"models","name":"vgg16","peak_gflops":0,"peak_rss_bytes":600000000,"seconds":0.5,"threads":1}
{"batch":1,"bench":"models","name":"resnet50","peak_gflops":0,"seconds":0.2,"threads":1}
`, js.String())
}

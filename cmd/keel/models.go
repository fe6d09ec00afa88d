package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/zoo"
)

func init() {
	register(command{name: "models", summary: "the zoo's models with Keras' figures, and with --bench the latency on this machine", flags: modelsFlags})
}

// modelRow is one model of `keel models`; the JSON names are a contract.
type modelRow struct {
	Name        string            `json:"name"`
	SizeMB      float64           `json:"size_mb"`
	Params      int               `json:"params"`
	Depth       int               `json:"depth"`
	DefaultSize int               `json:"default_size"`
	Preprocess  zoo.Preprocessing `json:"preprocess"`
	Top1        float64           `json:"top1"`
	Top5        float64           `json:"top5"`
	MS1T        *float64          `json:"ms_1t,omitempty"`
	MS2T        *float64          `json:"ms_2t,omitempty"`
}

// modelsFlags is `keel models`: the table a user picks a backbone from, as
// the Keras applications page does, with this machine's time per inference.
func modelsFlags(fs *flag.FlagSet) func([]string) error {
	doBench := fs.Bool("bench", false, "also measure the batch-1 latency of each classifier at its default size (1 and 2 threads)")
	threads := fs.Int("threads", 0, "with --bench: measure at this many threads only (default: 1 and 2)")
	asJSON := fs.Bool("json", false, "print a JSON array, one object per model")
	samples := fs.Int("samples", 5, "with --bench: timed samples per model (the median is reported)")
	modelFlag := fs.String("model", "", "models, comma-separated (default: all)")
	return func(rest []string) error {
		if len(rest) > 0 {
			return fmt.Errorf("%w: unexpected arguments %v", errUsage, rest)
		}
		if *threads < 0 {
			return fmt.Errorf("%w: --threads must be positive", errUsage)
		}
		names, err := modelList(*modelFlag, zoo.Names())
		if err != nil {
			return err
		}
		counts := []int{1, 2}
		if *threads > 0 {
			counts = []int{*threads}
		}
		var rows []modelRow
		for _, name := range names {
			s, err := zoo.Lookup(name)
			if err != nil {
				return err
			}
			p := s.Published
			row := modelRow{Name: s.Name, SizeMB: p.SizeMB, Params: p.Params, Depth: p.Depth,
				DefaultSize: s.DefaultSize, Preprocess: s.Preprocess, Top1: p.Top1, Top5: p.Top5}
			if *doBench {
				ms, err := latencyMS(name, s.DefaultSize, counts, *samples)
				if err != nil {
					return err
				}
				for t, v := range ms {
					switch t {
					case 1:
						row.MS1T = &v
					case 2:
						row.MS2T = &v
					}
				}
			}
			rows = append(rows, row)
		}
		if *asJSON {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(rows)
		}
		return printModels(os.Stdout, rows, *doBench)
	}
}

// latencyMS times the classifier (with top, spec weights) at batch 1 for
// each thread count, in milliseconds: the models suite's figures.
func latencyMS(name string, size int, threads []int, samples int) (map[int]float64, error) {
	var recs bench.Records
	err := bench.Models(bench.ModelsOptions{Common: bench.Common{Threads: threads, Progress: os.Stderr},
		Models: []string{name}, Batch: 1, InputSize: size, Timing: bench.Options{Samples: samples}}, &recs)
	out := map[int]float64{}
	for _, r := range recs {
		out[r.Threads] = 1e3 * r.Seconds
	}
	return out, err
}

// modelList is the --model flag: one name, a comma-separated list, or all.
func modelList(flagValue string, all []string) ([]string, error) {
	if flagValue == "" {
		return all, nil
	}
	names := strings.Split(flagValue, ",")
	for _, n := range names {
		if !slices.Contains(zoo.Names(), n) {
			return nil, fmt.Errorf("--model: unknown model %q (have %s)", n, strings.Join(zoo.Names(), ", "))
		}
	}
	return names, nil
}

func printModels(w io.Writer, rows []modelRow, timed bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"model", "size (MB)", "top-1", "top-5", "params", "depth", "input", "preprocess"}
	if timed {
		head = append(head, "ms 1T", "ms 2T")
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range rows {
		cols := []string{r.Name, sizeCell(r.SizeMB), pct(r.Top1), pct(r.Top5),
			fmt.Sprintf("%.1fM", float64(r.Params)/1e6), fmt.Sprint(r.Depth), fmt.Sprint(r.DefaultSize), string(r.Preprocess)}
		if timed {
			cols = append(cols, msCell(r.MS1T), msCell(r.MS2T))
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
	}
	return tw.Flush()
}

// sizeCell is the file size in MB, "-" where Keras publishes none.
func sizeCell(mb float64) string {
	if mb == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", mb)
}

func pct(f float64) string {
	if f == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*f)
}

func msCell(v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f", *v)
}

package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/keelml/keel/weightsio"
	"github.com/keelml/keel/weightsio/hdf5"
)

func init() {
	register(command{name: "inspect", summary: "show the groups, datasets and Keras layers of a weights file", run: runInspect})
}

func runInspect(args []string) error { return inspect(os.Stdout, args) }

func inspect(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print one JSON object for scripts")
	model := fs.Bool("model", false, "list the layers of the file's model config, each marked supported or not by Keel (always in --json, as model_layers)")
	checksums := fs.Bool("checksums", false, "add the SHA-256 of every dataset's values (float data as little-endian float32, integers as raw little-endian bytes)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: keel inspect [--json [--checksums]] [--model] FILE\n\nFILE is a Keras .h5, .weights.h5 or .keras file.")
		fs.PrintDefaults()
	}
	files, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return errUsage
	}
	f, err := weightsio.Open(files[0])
	if err != nil {
		return err
	}
	defer f.Close()
	report, err := buildReport(f, *checksums)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	if err := printReport(w, f, report); err != nil {
		return err
	}
	if *model {
		return printModelLayers(w, report.ModelLayers)
	}
	return nil
}

// inspectReport is the --json contract: scripts rely on these field names.
type inspectReport struct {
	Format       weightsio.Format `json:"format"`
	KerasVersion string           `json:"keras_version"`
	Backend      string           `json:"backend"`
	Layers       []layerReport    `json:"layers"`
	Datasets     []datasetReport  `json:"datasets"`
	// ModelLayers are the layers of the model config, when the file has one.
	ModelLayers []modelLayerReport `json:"model_layers,omitempty"`
}

type layerReport struct {
	Name    string         `json:"name"`
	Weights []weightReport `json:"weights"`
	// ClassName and Supported are the layer's in the model config, when
	// the file has one that names it.
	ClassName string `json:"class_name,omitempty"`
	Supported *bool  `json:"supported,omitempty"`
}

type weightReport struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Shape []int  `json:"shape"`
	Dtype string `json:"dtype"`
}

type datasetReport struct {
	Path  string `json:"path"`
	Shape []int  `json:"shape"`
	Dtype string `json:"dtype"`
	// SHA256F32 hashes float data converted to little-endian float32, C order.
	SHA256F32 string `json:"sha256_f32le,omitempty"`
	// SHA256Raw hashes the raw little-endian bytes of integer data.
	SHA256Raw string `json:"sha256_raw_le,omitempty"`

	kind string // "Group" or "Dataset", for the tree
}

func buildReport(f *weightsio.File, checksums bool) (*inspectReport, error) {
	r := &inspectReport{
		Format:       f.Format,
		KerasVersion: f.KerasVersion,
		Backend:      f.Backend,
		Layers:       []layerReport{},
		Datasets:     []datasetReport{},
	}
	if f.ModelConfig != nil {
		r.ModelLayers = modelLayers(f.ModelConfig)
	}
	byName := map[string]modelLayerReport{}
	for _, ml := range r.ModelLayers {
		if _, dup := byName[ml.Name]; !dup {
			byName[ml.Name] = ml
		}
	}
	for _, l := range f.Layers() {
		lr := layerReport{Name: l.Name, Weights: []weightReport{}}
		if ml, ok := byName[l.Name]; ok {
			lr.ClassName, lr.Supported = ml.ClassName, &ml.Supported
		}
		for _, w := range l.Weights {
			lr.Weights = append(lr.Weights, weightReport{Name: w.Name, Path: w.Path, Shape: nonNil(w.Shape), Dtype: w.Dtype})
		}
		r.Layers = append(r.Layers, lr)
	}
	err := f.HDF5().Walk(func(obj hdf5.Object) error {
		d, ok := obj.(*hdf5.Dataset)
		if !ok {
			return nil
		}
		dr := datasetReport{Path: d.Path(), Shape: nonNil(d.Shape), Dtype: d.Type.Name()}
		if checksums {
			if err := addChecksum(&dr, d); err != nil {
				return err
			}
		}
		r.Datasets = append(r.Datasets, dr)
		return nil
	})
	return r, err
}

func nonNil(shape []int) []int {
	if shape == nil {
		return []int{}
	}
	return shape
}

// addChecksum hashes a dataset's values: floats as little-endian float32,
// integers (and enums such as bool) as their raw little-endian bytes.
func addChecksum(dr *datasetReport, d *hdf5.Dataset) error {
	switch {
	case d.Type.IsFloat():
		v, err := d.ReadFloat32()
		if err != nil {
			return err
		}
		sum := sha256.Sum256(hdf5.Float32LE(v))
		dr.SHA256F32 = hex.EncodeToString(sum[:])
	case d.Type.IsInteger() || d.Type.Class == hdf5.ClassEnum:
		b, err := d.ReadRawLE()
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		dr.SHA256Raw = hex.EncodeToString(sum[:])
	}
	return nil
}

// printReport prints the summary, the tree as `h5ls -r` does, and the layers.
func printReport(w io.Writer, f *weightsio.File, r *inspectReport) error {
	fmt.Fprintf(w, "format:        %s\n", r.Format)
	fmt.Fprintf(w, "keras_version: %s\n", orNone(r.KerasVersion))
	fmt.Fprintf(w, "backend:       %s\n", orNone(r.Backend))
	if f.ModelConfig != nil {
		class, _ := f.ModelConfig["class_name"].(string)
		fmt.Fprintf(w, "model:         %s\n", class)
	}
	fmt.Fprintf(w, "\nHDF5 tree of %s:\n", f.HDF5().Name())
	sums := map[string]string{}
	for _, d := range r.Datasets {
		sums[d.Path] = d.SHA256F32 + d.SHA256Raw
	}
	fmt.Fprintf(w, "%-24s Group\n", "/")
	err := f.HDF5().Walk(func(obj hdf5.Object) error {
		switch o := obj.(type) {
		case *hdf5.Group:
			fmt.Fprintf(w, "%-24s Group\n", o.Path())
		case *hdf5.Dataset:
			// h5ls' columns, then what h5ls -v would add: type, storage, checksum.
			line := fmt.Sprintf("%-24s Dataset %s %s", o.Path(), h5lsShape(o), o.Type.Name())
			if o.Layout() != "contiguous" {
				line += " " + strings.Join(append([]string{o.Layout()}, o.Filters()...), "+")
			}
			if sum := sums[o.Path()]; sum != "" {
				line += " sha256:" + sum
			}
			fmt.Fprintln(w, line)
		}
		return nil
	})
	if err != nil {
		return err
	}
	total := 0
	fmt.Fprintf(w, "\nlayers (%d):\n", len(f.Layers()))
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 8, 2, ' ', 0)
	for _, l := range f.Layers() {
		fmt.Fprintf(tw, "  %s\t\t\t\n", l.Name)
		for _, wt := range l.Weights {
			fmt.Fprintf(tw, "    %s\t%s\t%s\t\n", wt.Name, wt.Dtype, shapeString(wt.Shape))
			total += wt.Len()
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		fmt.Fprint(w, strings.TrimRight(line, " \n"), strings.Repeat("\n", strings.Count(line, "\n")))
	}
	fmt.Fprintf(w, "\n%d weight values in %d layers\n", total, len(f.Layers()))
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// h5lsShape formats a dataspace the way h5ls does: {3, 3, 32} or {SCALAR}.
func h5lsShape(d *hdf5.Dataset) string {
	switch {
	case d.NullSpace:
		return "{NULL}"
	case len(d.Shape) == 0:
		return "{SCALAR}"
	}
	parts := make([]string, len(d.Shape))
	for i, n := range d.Shape {
		parts[i] = fmt.Sprint(n)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, n := range shape {
		parts[i] = fmt.Sprint(n)
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
)

// TestInspectJSON checks the --json --checksums contract on the testdata
// files against what h5py found in them.
func TestInspectJSON(t *testing.T) {
	tests := []struct {
		file, format, kerasVersion, backend string
		layers                              int
	}{
		{"cnn_tf_weights.h5", "keras-h5-weights", "", "", 10},
		{"conv2d_theano_2.h5", "keras-h5-model", "2.1.3", "theano", 1},
		{"keras-attention.h5", "keras-h5-model", "2.11.0", "tensorflow", 6},
		{"hgq_mnist_homogeneous.h5", "keras-h5-model", "2.13.1", "tensorflow", 20},
		{"keras_bnn_weights.h5", "keras-h5-weights", "2.2.4", "tensorflow", 11},
		{"simple_flatten_lstm_tf_keras_2_inputs_and_outputs.h5", "hdf5", "", "", 0},
		{"mobilenet_2_5_224_tf_no_top.h5", "keras-h5-weights", "2.0.4", "tensorflow", 83},
		{"helia-edge.keras", "keras3-archive", "3.8.0", "", 53},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var out bytes.Buffer
			if err := inspect(&out, []string{testenv.Testdata(t, "h5", tc.file), "--json", "--checksums"}); err != nil {
				t.Fatal(err)
			}
			var got struct {
				Format       string `json:"format"`
				KerasVersion string `json:"keras_version"`
				Backend      string `json:"backend"`
				Layers       []struct {
					Name    string            `json:"name"`
					Weights []json.RawMessage `json:"weights"`
				} `json:"layers"`
				Datasets []datasetReport `json:"datasets"`
			}
			if err := json.Unmarshal(out.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Format != tc.format || got.KerasVersion != tc.kerasVersion || got.Backend != tc.backend {
				t.Errorf("format/version/backend %q %q %q, want %q %q %q", got.Format, got.KerasVersion, got.Backend, tc.format, tc.kerasVersion, tc.backend)
			}
			if len(got.Layers) != tc.layers {
				t.Errorf("%d layers, want %d", len(got.Layers), tc.layers)
			}
			want := expectedDatasets(t, tc.file)
			if len(got.Datasets) != len(want) {
				t.Fatalf("%d datasets, want %d", len(got.Datasets), len(want))
			}
			for _, d := range got.Datasets {
				w, ok := want[d.Path]
				if !ok {
					t.Errorf("unexpected dataset %s", d.Path)
					continue
				}
				if shapeString(d.Shape) != shapeString(w.Shape) || d.Dtype != w.Dtype || d.SHA256F32 != w.SHA256F32 || d.SHA256Raw != w.SHA256Raw {
					t.Errorf("%s: got %+v, want %+v", d.Path, d, w)
				}
			}
		})
	}
}

// expectedDatasets reads testdata/h5/expected/<file>.json by dataset path.
func expectedDatasets(t *testing.T, file string) map[string]datasetReport {
	raw, err := os.ReadFile(testenv.Testdata(t, "h5", "expected", file+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var exp struct {
		Datasets []datasetReport `json:"datasets"`
		Member   *struct {
			Datasets []datasetReport `json:"datasets"`
		} `json:"h5:model.weights.h5"`
	}
	if err := json.Unmarshal(raw, &exp); err != nil {
		t.Fatal(err)
	}
	list := exp.Datasets
	if exp.Member != nil {
		list = exp.Member.Datasets
	}
	out := map[string]datasetReport{}
	for _, d := range list {
		out[d.Path] = d
	}
	return out
}

// TestInspectText checks the h5ls-style tree and the layer listing.
func TestInspectText(t *testing.T) {
	var out bytes.Buffer
	if err := inspect(&out, []string{testenv.Testdata(t, "h5", "keras-attention.h5")}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"format:        keras-h5-model\n",
		"keras_version: 2.11.0\n",
		"backend:       tensorflow\n",
		"/                        Group\n",
		"/model_weights/dense_1   Group\n",
		"/model_weights/dense/dense/kernel:0 Dataset {22, 32} float32\n",
		"/optimizer_weights/iteration:0 Dataset {SCALAR} int64\n",
		"    dense/kernel:0    float32  (22, 32)\n",
		"2849 weight values in 6 layers\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := inspect(&out, []string{testenv.Testdata(t, "h5", "keras-attention.h5"), "--checksums"}); err != nil {
		t.Fatal(err)
	}
	want := "/model_weights/dense/dense/kernel:0 Dataset {22, 32} float32 sha256:bbdc22f9233b9a085daec2c52f406f2c879bacceb84b858420d2086b01c4cd4a\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("--checksums output lacks %q:\n%s", want, out.String())
	}
}

// TestInspectErrors checks that bad input gives an error naming the file.
func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(testenv.Testdata(t, "h5", "keras-attention.h5"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.h5")
	if err := os.WriteFile(truncated, src[:3000], 0o644); err != nil {
		t.Fatal(err)
	}
	notHDF5 := filepath.Join(dir, "text.h5")
	if err := os.WriteFile(notHDF5, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{truncated}, "truncated.h5: "},
		{[]string{notHDF5, "--json"}, "not an HDF5 file"},
		{[]string{filepath.Join(dir, "missing.h5")}, "missing.h5"},
	} {
		err := inspect(&bytes.Buffer{}, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("inspect %v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	if err := inspect(&bytes.Buffer{}, nil); err == nil {
		t.Error("inspect without a file: no error")
	}
}

package weightsio_test

import (
	"fmt"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/weightsio"
)

// TestLayouts opens one testdata file per layout and checks what a model
// loader relies on: format, layer order, weight names and shapes.
func TestLayouts(t *testing.T) {
	tests := []struct {
		file       string
		format     weightsio.Format
		version    string
		layers     int
		layer      string // a layer to look at
		weightName string // its first weight
		shape      []int
	}{
		{"cnn_tf_weights.h5", weightsio.FormatH5Weights, "", 10, "convolution2d_1", "convolution2d_1_W:0", []int{3, 2, 3, 2}},
		{"keras-attention.h5", weightsio.FormatH5Model, "2.11.0", 6, "dense", "dense/kernel:0", []int{22, 32}},
		{"mobilenet_2_5_224_tf_no_top.h5", weightsio.FormatH5Weights, "2.0.4", 83, "conv_dw_1", "conv_dw_1/depthwise_kernel:0", []int{3, 3, 8, 1}},
		{"helia-edge.keras", weightsio.FormatArchive, "3.8.0", 53, "stem.conv", "vars/0", []int{3, 3, 3, 48}},
		{"synthetic/overflow_weights.h5", weightsio.FormatH5Weights, "2.3.1", 41, "dense_39", "dense_39/kernel:0", []int{3, 2}},
		{"simple_flatten_lstm_tf_keras_2_inputs_and_outputs.h5", weightsio.FormatPlainHDF5, "", 0, "", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := weightsio.Open(testenv.Testdata(t, "h5", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Format != tc.format || f.KerasVersion != tc.version || len(f.Layers()) != tc.layers {
				t.Fatalf("got %s %q with %d layers, want %s %q with %d", f.Format, f.KerasVersion, len(f.Layers()), tc.format, tc.version, tc.layers)
			}
			if tc.layer == "" {
				return
			}
			l, ok := f.Layer(tc.layer)
			if !ok {
				t.Fatalf("no layer %q", tc.layer)
			}
			if len(l.Weights) == 0 || l.Weights[0].Name != tc.weightName || fmt.Sprint(l.Weights[0].Shape) != fmt.Sprint(tc.shape) {
				t.Fatalf("layer %s weights %+v, want first %s %v", l.Name, l.Weights, tc.weightName, tc.shape)
			}
		})
	}
}

// TestOverflowAttributes checks the split layer_names0, layer_names1, ...
// form Keras uses when a list outgrows HDF5's attribute size limit.
func TestOverflowAttributes(t *testing.T) {
	f, err := weightsio.Open(testenv.Testdata(t, "h5", "synthetic", "overflow_weights.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	layers := f.Layers()
	for i := 0; i < 40; i++ {
		want := fmt.Sprintf("dense_%d", i)
		if layers[i].Name != want || len(layers[i].Weights) != 2 || layers[i].Weights[1].Name != want+"/bias:0" {
			t.Fatalf("layer %d: %+v, want %s with kernel and bias", i, layers[i], want)
		}
	}
	if last := layers[40]; last.Name != "input_1" || len(last.Weights) != 0 {
		t.Fatalf("last layer %+v, want input_1 without weights", last)
	}
}

// TestReadAllFloat32 checks that the shared-allocation read gives each
// weight's values.
func TestReadAllFloat32(t *testing.T) {
	f, err := weightsio.Open(testenv.Testdata(t, "h5", "mobilenet_2_5_224_tf_no_top.h5"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := f.ReadAllFloat32()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range f.Layers() {
		if len(all[l.Name]) != len(l.Weights) {
			t.Fatalf("layer %s: %d weights, want %d", l.Name, len(all[l.Name]), len(l.Weights))
		}
		for i, w := range l.Weights {
			want, err := w.Float32()
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(all[l.Name][i]) != fmt.Sprint(want) {
				t.Fatalf("%s differs", w.Path)
			}
		}
	}
}

// TestArchives checks the .keras layouts with no real sample in realh5:
// tf.keras 2.13-2.15 (with "/" and Windows backslash group names) and a
// Keras 3 archive whose weights member is deflated.
func TestArchives(t *testing.T) {
	tests := []struct {
		file    string
		format  weightsio.Format
		version string
		group   string // group of the layer "out"
	}{
		{"tf2-archive.keras", weightsio.FormatArchiveTF2, "2.14.0", "/_layer_checkpoint_dependencies/out"},
		{"tf2-archive-windows.keras", weightsio.FormatArchiveTF2, "2.13.1", `/_layer_checkpoint_dependencies\out`},
		{"keras3-deflated.keras", weightsio.FormatArchive, "3.3.3", "/layers/dense_1"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := weightsio.Open(testenv.Testdata(t, "h5", "synthetic", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Format != tc.format || f.KerasVersion != tc.version {
				t.Errorf("got %s %q, want %s %q", f.Format, f.KerasVersion, tc.format, tc.version)
			}
			var names []string
			for _, l := range f.Layers() {
				names = append(names, l.Name)
			}
			if fmt.Sprint(names) != "[hidden dropout out]" {
				t.Fatalf("layers %v, want [hidden dropout out]", names)
			}
			out, _ := f.Layer("out")
			if out.Group != tc.group || len(out.Weights) != 2 || fmt.Sprint(out.Weights[0].Shape) != "[3 2]" || out.Weights[1].Name != "vars/1" {
				t.Errorf("layer out: %+v", out)
			}
			if f.ModelConfig["class_name"] != "Sequential" {
				t.Errorf("model config class %v", f.ModelConfig["class_name"])
			}
		})
	}
}

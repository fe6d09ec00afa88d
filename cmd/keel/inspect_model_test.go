package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// nestedArchive saves a model with a Sequential nested in it as .keras.
func nestedArchive(t *testing.T) string {
	head, err := nn.Sequential([]int{4, 4, 3}, nn.NewConv2D(2, 1, 1, nn.WithName("head_conv")), nn.NewFlatten(nn.WithName("head_flat")))
	require.NoError(t, err)
	in := nn.Input([]int{4, 4, 3}, nn.WithName("img"))
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{nn.NewDense(2, nn.WithName("out")).Apply(head.Apply(in))}, nn.WithName("outer"))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "nested.keras")
	require.NoError(t, modelfile.Save(path, m, modelfile.Meta{}))
	return path
}

// inspect --json lists the model config's layers, nested ones with their
// model, each marked supported when Keel builds its class, and marks the
// file's layers too; --model prints them.
func TestInspectModelLayers(t *testing.T) {
	nested := nestedArchive(t)
	for _, c := range []struct {
		name, file  string
		layers      int
		unsupported []string
		nested      map[string]string // layer -> the class of the model holding it ("" for the file's)
		text        []string
	}{
		{"Keras 3 archive", testenv.Testdata(t, "h5", "helia-edge.keras"), 53, nil, nil,
			[]string{"model layers (53, 0 of classes Keel lacks):\n", "  stem.conv                 Conv2D                  supported\n"}},
		{"custom quantizers", testenv.Testdata(t, "h5", "hgq_mnist_homogeneous.h5"), 20,
			[]string{"h_quantize_1_quantizer", "h_conv2d_2_quantizer", "h_conv2d_2_relu_quantizer", "h_conv2d_3_quantizer", "h_conv2d_3_relu_quantizer", "h_dense_2_quantizer", "h_dense_2_relu_quantizer", "h_dense_3_quantizer"}, nil,
			[]string{"FixedPointQuantizer  NOT SUPPORTED\n"}},
		{"nested Sequential", nested, 6, nil, map[string]string{"head_conv": "Sequential", "head_flat": "Sequential", "out": ""},
			[]string{"Sequential  supported\n", "    head_conv", "  out "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, inspect(&out, []string{"--json", c.file}))
			var got inspectReport
			require.NoError(t, json.Unmarshal(out.Bytes(), &got))
			require.Len(t, got.ModelLayers, c.layers)
			modelOfClass := map[string]string{"": ""}
			for _, l := range got.ModelLayers {
				modelOfClass[l.ClassName] = l.Name
			}
			var unsupported []string
			for _, l := range got.ModelLayers {
				if !l.Supported {
					unsupported = append(unsupported, l.Name)
				}
				if class, ok := c.nested[l.Name]; ok {
					require.Equal(t, modelOfClass[class], l.Model, l.Name)
				}
			}
			require.Equal(t, c.unsupported, unsupported)
			for _, l := range got.Layers {
				if l.Supported != nil {
					require.Equal(t, !strings.HasSuffix(l.Name, "_quantizer"), *l.Supported, l.Name)
				}
			}
			out.Reset()
			require.NoError(t, inspect(&out, []string{"--model", c.file}))
			for _, want := range c.text {
				require.Contains(t, out.String(), want)
			}
		})
	}
}

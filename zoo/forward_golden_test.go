package zoo

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/keelml/keel/internal/specweights"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

// setSpecWeights gives every variable of m its value from the golden weight
// spec (WEIGHTS-SPEC.md).
func setSpecWeights(t *testing.T, m *nn.Model) {
	t.Helper()
	require.NoError(t, specweights.Apply(m))
}

type goldenOutputs struct {
	Batch        int    `json:"batch"`
	InputPrep    string `json:"input_preprocessed"`
	InputRaw     string `json:"input_raw"`
	PreprocessAs string `json:"preprocess_mode"`
	Files        []struct {
		File  string `json:"file"`
		Layer string `json:"layer"`
		Kind  string `json:"kind"`
		Shape []int  `json:"shape"`
	} `json:"files"`
}

// maxRelErr is max|got - want| / max|want|.
func maxRelErr(got, want []float32) float64 {
	var d, m float64
	for i := range want {
		d = math.Max(d, math.Abs(float64(got[i])-float64(want[i])))
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	return d / math.Max(m, 1e-30)
}

// Every golden model's saved layers, from the real Keras-semantics reference,
// within the README's tolerances.
func TestForwardMatchesGolden(t *testing.T) {
	archs := goldenArchs(t)
	raw, err := os.ReadFile(testenv.Shared(t, "golden", "outputs", "index.json"))
	require.NoError(t, err)
	var outputs map[string]goldenOutputs
	require.NoError(t, json.Unmarshal(raw, &outputs))
	for id, g := range outputs {
		t.Run(id, func(t *testing.T) {
			skipUnbuilt(t, archs[id].Arch)
			if testing.Short() && strings.Contains(id, "224") {
				t.Skip("224 px models in -short mode")
			}
			m := buildGolden(t, archs[id])
			setSpecWeights(t, m)
			shape, x, err := npy.Read(testenv.Shared(t, "golden", g.InputPrep))
			require.NoError(t, err)
			xt, err := nn.TensorOf(x, shape...)
			require.NoError(t, err)

			tol := 1e-4
			if strings.HasPrefix(id, "mobilenetv2") {
				tol = 1e-3
			}
			var names []string
			for _, f := range g.Files {
				if f.Kind != "pre_softmax_logits" {
					names = append(names, f.Layer)
				}
			}
			// The logits are the final Dense before its softmax: run the layer
			// that feeds it too.
			final := m.Output().Layer()
			penultimate := final.InboundNodes()[0].Inputs()[0].Layer().Name()
			names = append(names, penultimate)
			got, err := m.RunLayers(names, xt)
			require.NoError(t, err)
			byName := map[string]*nn.Tensor{}
			for i, n := range names {
				byName[n] = got[i]
			}
			for _, f := range g.Files {
				wshape, want, err := npy.Read(testenv.Shared(t, "golden", f.File))
				require.NoError(t, err)
				var out []float32
				if f.Kind == "pre_softmax_logits" {
					out = denseLogits(t, final, byName[penultimate])
				} else {
					out = byName[f.Layer].Data
					require.Equal(t, wshape, byName[f.Layer].Shape, f.File)
				}
				require.Len(t, out, len(want), f.File)
				if f.Kind == "model_output" && isSoftmax(final) {
					// Softmax probabilities: absolute tolerance, 1e-4 for
					// InceptionResNetV2 and 2e-4 for MobileNetV3Large (golden
					// README, "Observed agreement and suggested tolerances":
					// their softmax already differs by 1.6e-5 and 4.7e-5
					// between tfjs and float64 torch; MobileNetV3Large's
					// float32 noise, 4e-6 of max|logit| as in the references,
					// moves its peaked probabilities by up to 1.03e-4 in Keel;
					// its logits are checked at 1e-4 * max|ref| above).
					delta := 1e-5
					switch {
					case strings.HasPrefix(id, "inceptionresnetv2"):
						delta = 1e-4
					case strings.HasPrefix(id, "mobilenetv3large"):
						delta = 2e-4
					}
					for i := range want {
						require.InDelta(t, want[i], out[i], delta, "%s[%d]", f.File, i)
					}
					continue
				}
				e := maxRelErr(out, want)
				t.Logf("%s: max|keel-ref|/max|ref| = %.2e", f.File, e)
				if illConditioned(id, f.Layer, f.Kind) {
					// Golden README: EfficientNetV2B0 with the spec weights
					// is ill-conditioned in float32 from stage 6 on (torch
					// float32 vs float64: 2.4e-2 at block6h_add); these
					// references get only the loose check it suggests.
					require.LessOrEqual(t, e, 0.2, f.File)
					continue
				}
				require.LessOrEqual(t, e, tol, f.File)
			}
		})
	}
}

// illConditioned says whether a saved tensor is one the golden README calls
// an implementation-dependent float32 computation: EfficientNetV2B0's
// block6h_add and everything after it (top_activation, avg_pool, the output
// and the logits).
func illConditioned(id, layer, kind string) bool {
	if !strings.HasPrefix(id, "efficientnetv2b0") {
		return false
	}
	switch layer {
	case "block6h_add", "top_activation", "avg_pool", "predictions":
		return true
	}
	return kind == "model_output" || kind == "pre_softmax_logits"
}

// isSoftmax says whether the layer's output is a softmax (a Dense with
// softmax activation, or an Activation layer).
func isSoftmax(l nn.Layer) bool { return l.Config()["activation"] == "softmax" }

// denseLogits computes x @ kernel + bias of a Dense layer in float64.
func denseLogits(t *testing.T, dense nn.Layer, x *nn.Tensor) []float32 {
	t.Helper()
	w := dense.Weights()
	k, b := w[0], w[1]
	in, units := k.Shape()[0], k.Shape()[1]
	n := x.Len() / in
	out := make([]float32, n*units)
	for r := 0; r < n; r++ {
		for j := 0; j < units; j++ {
			s := float64(b.Value()[j])
			for i := 0; i < in; i++ {
				s += float64(x.Data[r*in+i]) * float64(k.Value()[i*units+j])
			}
			out[r*units+j] = float32(s)
		}
	}
	return out
}

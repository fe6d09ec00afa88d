package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
)

// smallNet is a model with every fusion the quantizer does: a padded valid
// convolution, Conv2D + BN + ReLU, depthwise + BN + ReLU6, a residual Add
// into a convolution, a standalone Add, pooling, a nested backbone, and a
// float32 head.
func smallNet(t testing.TB, r *rand.Rand) *nn.Model {
	t.Helper()
	sc := nn.NewNameScope()
	o := nn.WithScope(sc)
	x := nn.Input([]int{12, 12, 3}, o)
	y := nn.NewZeroPadding2D(1, 1, 1, 1, o).Apply(x)
	y = nn.NewConv2D(8, 3, 3, o, nn.WithStrides(2, 2)).Apply(y)
	y = nn.NewBatchNormalization(o).Apply(y)
	y = nn.NewReLU(o).Apply(y)
	d := nn.NewDepthwiseConv2D(3, 3, o, nn.WithPadding("same"), nn.WithUseBias(false)).Apply(y)
	d = nn.NewBatchNormalization(o).Apply(d)
	d = nn.NewReLU(o, nn.WithMaxValue(6)).Apply(d)
	p := nn.NewConv2D(8, 1, 1, o).Apply(d)
	p = nn.NewBatchNormalization(o).Apply(p)
	a := nn.NewAdd(o).Apply(p, y) // fused into the 1x1 convolution
	a = nn.NewActivation("relu", o).Apply(a)
	b := nn.NewMaxPooling2D(2, 2, o, nn.WithPadding("same")).Apply(a)
	c := nn.NewConv2D(8, 3, 3, o, nn.WithPadding("same"), nn.WithActivation("relu")).Apply(b)
	s := nn.NewAdd(o).Apply(b, c) // c has its own ReLU: a standalone Add
	// ResNet's conv block: both inputs of the Add are convolutions + BN.
	sh := nn.NewBatchNormalization(o).Apply(nn.NewConv2D(8, 1, 1, o).Apply(s))
	mb := nn.NewBatchNormalization(o).Apply(nn.NewConv2D(8, 1, 1, o).Apply(s))
	s = nn.NewActivation("relu", o).Apply(nn.NewAdd(o).Apply(sh, mb))
	backbone, err := nn.NewModel([]*nn.Node{x}, []*nn.Node{s}, nn.WithName("backbone"))
	if err != nil {
		t.Fatal(err)
	}
	in := nn.Input([]int{12, 12, 3}, o)
	h := backbone.Apply(in)
	h = nn.NewGlobalAveragePooling2D(o).Apply(h)
	h = nn.NewDropout(0.2, o).Apply(h)
	h = nn.NewDense(5, o, nn.WithActivation("softmax")).Apply(h)
	m, err := nn.NewModel([]*nn.Node{in}, []*nn.Node{h})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range append(backbone.Layers(), m.Layers()...) {
		for _, w := range l.Weights() {
			v := w.Value()
			for i := range v {
				switch w.Name() {
				case "moving_variance":
					v[i] = 0.5 + r.Float32()
				case "moving_mean", "beta":
					v[i] = 0.2 * (r.Float32() - 0.5)
				case "gamma":
					v[i] = 0.8 + 0.4*r.Float32()
				default:
					v[i] = 0.6 * (r.Float32() - 0.5)
				}
			}
			if err := w.Set(w.Shape(), v); err != nil {
				t.Fatal(err)
			}
		}
	}
	return m
}

func randomImages(r *rand.Rand, n int, shape ...int) *nn.Tensor {
	t := nn.NewTensor(append([]int{n}, shape...)...)
	for i := range t.Data {
		t.Data[i] = 2*r.Float32() - 1
	}
	return t
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// agreement compares two batches of scores: top-1 agreement and the
// largest absolute difference.
func agreement(a, b *nn.Tensor) (float64, float64) {
	n := a.Batch()
	k := a.Len() / n
	same, dev := 0, 0.0
	for i := 0; i < n; i++ {
		x, y := a.Data[i*k:(i+1)*k], b.Data[i*k:(i+1)*k]
		if argmax(x) == argmax(y) {
			same++
		}
		for j := range x {
			dev = max(dev, math.Abs(float64(x[j]-y[j])))
		}
	}
	return float64(same) / float64(n), dev
}

func TestQuantizeSmallNet(t *testing.T) {
	for _, method := range []string{MinMax, Percentile} {
		t.Run(method, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			m := smallNet(t, r)
			calib := randomImages(r, 24, 12, 12, 3)
			qm, rep, err := Quantize(m, calib, Options{Method: method})
			if err != nil {
				t.Fatal(err)
			}
			var sb strings.Builder
			if err := rep.Print(&sb); err != nil {
				t.Fatal(err)
			}
			t.Log("\n" + sb.String())
			classes := map[string]int{}
			for _, l := range qm.Layers() {
				classes[l.Class]++
			}
			// The fusions: conv+BN+ReLU (padding folded), depthwise+BN+ReLU6,
			// 1x1 conv+BN+Add+ReLU, conv with its own ReLU, conv+BN and
			// conv+BN+Add+ReLU; one Add left.
			want := map[string]int{classConv: 5, classDepthwise: 1, classAdd: 1, classMaxPool: 1, classGAP: 1, "Dense": 1, classQuantize: 1, classDequantize: 1}
			for c, n := range want {
				if classes[c] != n {
					t.Errorf("%d %s layers, want %d (layers %v)", classes[c], c, n, classes)
				}
			}
			if len(qm.Layers()) != 12 {
				t.Errorf("%d layers, want 12: %+v", len(qm.Layers()), qm.Layers())
			}
			for _, l := range rep.Layers {
				if l.Precision == "int8" && !(l.RelRMSE < 0.1) {
					t.Errorf("layer %s: relative RMS error %v", l.Name, l.RelRMSE)
				}
			}
			test := randomImages(r, 32, 12, 12, 3)
			want32, err := m.Run(test)
			if err != nil {
				t.Fatal(err)
			}
			got, err := qm.Run(test)
			if err != nil {
				t.Fatal(err)
			}
			agree, dev := agreement(want32[0], got)
			t.Logf("%s: top-1 agreement %.3f, largest deviation %.4f", method, agree, dev)
			if agree < 0.9 || dev > 0.05 {
				t.Errorf("top-1 agreement %.3f, largest deviation %.4f", agree, dev)
			}

			// Saved and loaded, through quant and through modelfile (as
			// keel predict loads it), the model computes the same bytes.
			path := filepath.Join(t.TempDir(), "m.int8.h5")
			meta := modelfile.Meta{Preprocess: "tf", InputSize: 12, ClassNames: []string{"a", "b", "c", "d", "e"}}
			if err := Save(path, qm, meta); err != nil {
				t.Fatal(err)
			}
			back, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			again, err := back.Run(test)
			if err != nil {
				t.Fatal(err)
			}
			nm, meta2, err := modelfile.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if p := PrecisionOf(nm); p != "int8" {
				t.Errorf("PrecisionOf the loaded model: %q", p)
			}
			if p := PrecisionOf(m); p != "float32" {
				t.Errorf("PrecisionOf the float model: %q", p)
			}
			if meta2.Preprocess != "tf" || meta2.InputSize != 12 || len(meta2.ClassNames) != 5 {
				t.Errorf("meta %+v", meta2)
			}
			viaNN, err := nm.Run(test)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got.Data {
				if got.Data[i] != again.Data[i] || got.Data[i] != viaNN[0].Data[i] {
					t.Fatalf("output %d: %v quantized, %v loaded, %v through modelfile.Load", i, got.Data[i], again.Data[i], viaNN[0].Data[i])
				}
			}
		})
	}
}

func TestBF16SmallNet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m := smallNet(t, r)
	bm, err := BF16(m)
	if err != nil {
		t.Fatal(err)
	}
	convs := 0
	for _, l := range bm.Layers() {
		if l.Class == classBF16Conv {
			convs++
		}
		if l.Int8 {
			t.Errorf("layer %s (%s) in int8 in a bf16 model", l.Name, l.Class)
		}
	}
	if convs != 5 {
		t.Errorf("%d bf16 convolutions, want 5: %+v", convs, bm.Layers())
	}
	x := randomImages(r, 16, 12, 12, 3)
	want, err := m.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := bm.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	agree, dev := agreement(want[0], got)
	t.Logf("bf16: top-1 agreement %.3f, largest deviation %.5f", agree, dev)
	if agree < 0.99 || dev > 0.01 || dev == 0 {
		t.Errorf("top-1 agreement %.3f, largest deviation %.5f", agree, dev)
	}
	if nm, err := bm.NN(); err != nil || PrecisionOf(nm) != "bf16" {
		t.Errorf("NN of a bf16 model: %v", err)
	}
	if err := Save(filepath.Join(t.TempDir(), "x.h5"), bm, modelfile.Meta{}); err == nil || !strings.Contains(err.Error(), "bf16") {
		t.Errorf("saving a bf16 model: %v", err)
	}
}

// Steady-state runs allocate no activations: what a run allocates (the
// float32 head's nn call, the output) does not grow with the batch as the
// activations do.
func TestRunAllocations(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	m := smallNet(t, r)
	qm, _, err := Quantize(m, randomImages(r, 4, 12, 12, 3), Options{ErrorImages: 1})
	if err != nil {
		t.Fatal(err)
	}
	perRun := func(n int) float64 {
		x := randomImages(r, n, 12, 12, 3)
		if _, err := qm.Run(x); err != nil { // the batch size's workspace
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const runs = 20
		for range runs {
			if _, err := qm.Run(x); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return float64(after.TotalAlloc-before.TotalAlloc) / runs
	}
	activations := 0 // per sample
	for _, v := range qm.values {
		if v.float {
			activations += 4 * v.size()
		} else {
			activations += v.size()
		}
	}
	small, large := perRun(2), perRun(64)
	t.Logf("bytes allocated per run: %.0f at batch 2, %.0f at batch 64; activations %d bytes per sample", small, large, activations)
	if large-small > float64(62*activations)/10 {
		t.Errorf("62 more samples allocate %.0f more bytes: activations are allocated per run (%d bytes per sample)", large-small, activations)
	}
}

// The model NN gives has no trainable weights (a training step leaves it
// as it is, a frozen backbone), and gradients cannot pass through it: a
// trainable layer before it makes the training step an error naming it.
func TestNNRefusesTraining(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	m := smallNet(t, r)
	qm, _, err := Quantize(m, randomImages(r, 4, 12, 12, 3), Options{ErrorImages: 1})
	if err != nil {
		t.Fatal(err)
	}
	nm, err := qm.NN()
	if err != nil {
		t.Fatal(err)
	}
	if len(nm.Weights()) != 0 {
		t.Errorf("the int8 model has %d float weights", len(nm.Weights()))
	}
	x := nn.Input([]int{12, 12, 3})
	y := nm.Apply(nn.NewConv2D(3, 1, 1).Apply(x))
	outer, err := nn.NewModel([]*nn.Node{x}, []*nn.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	outer.Compile(nn.NewAdam(nn.AdamConfig{}), nn.CategoricalCrossentropy{})
	in := randomImages(r, 2, 12, 12, 3)
	labels := nn.NewTensor(2, 5)
	labels.Data[0], labels.Data[6] = 1, 1
	_, err = outer.TrainStep(in, labels)
	if err == nil || !strings.Contains(err.Error(), "inference only") {
		t.Fatalf("training a layer before the int8 graph: %v", err)
	}
	t.Log(err)
}

// Concurrent runs (keel serve's batches) each take their own workspace and
// give the bytes a lone run gives.
func TestConcurrentRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	m := smallNet(t, r)
	qm, _, err := Quantize(m, randomImages(r, 4, 12, 12, 3), Options{ErrorImages: 1})
	if err != nil {
		t.Fatal(err)
	}
	nm, err := qm.NN()
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(r, 3, 12, 12, 3)
	want, err := nm.Run(x)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			for range 10 {
				got, err := nm.Run(x)
				if err == nil && !slices.Equal(got[0].Data, want[0].Data) {
					err = fmt.Errorf("a concurrent run differs")
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

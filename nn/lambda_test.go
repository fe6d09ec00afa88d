package nn

import (
	"bytes"
	"encoding/base64"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/pymarshal"
)

// Marshalled code of real and written-out lambdas (base64, as Keras 2's
// func_dump stores them), by Python version.
const (
	codeHalf37     = "4wEAAAAAAAAAAQAAAAIAAABTAAAAcwgAAAB8AGQBFABTACkCTmcAAAAAAADgP6kAKQHaAXhyAQAAAHIBAAAA+h48aXB5dGhvbi1pbnB1dC05LWMxODgyNTllNmEyNz7aCDxsYW1iZGE+HQAAAPMAAAAA"                                                                                                                                                                                                     // deepfm.h5: x * 0.5
	codeClip38     = "4wEAAAAAAAAAAAAAAAEAAAAFAAAAUwAAAHMQAAAAdABqAXwAZAFkAmQDjQNTACkETmcAAAAAAAAQwGcAAAAAAAAQQCkC2g5jbGlwX3ZhbHVlX21pbtoOY2xpcF92YWx1ZV9tYXgpAtoCdGbaDWNsaXBfYnlfdmFsdWUpAdoBeKkAcgYAAAB6aC9sb2NhbC9ob21lL2ZycTAyNTMwL216b292Ml8xME9jdDIwMjMvZXh0ZXJuYWxfbW9kZWxfem9vL2ltYWdlX2NsYXNzaWZpY2F0aW9uL3NyYy9tb2RlbHMvY3VzdG9tX21vZGVsLnB52gg8bGFtYmRhPnoAAABzAgAAABAA" // st_efficientnet: tf.clip_by_value(x, clip_value_min=-4.0, clip_value_max=4.0)
	codeScale311   = "4wEAAAAAAAAAAAAAAAIAAAADAAAA8xIAAACXAHwAZAF6CwAAZAJ6CgAAUwApA07nAAAAAADgX0DpAQAAAKkAqQHaAXhzAQAAACD6CDxzdHJpbmc++gg8bGFtYmRhPnIIAAAAAwAAAHMOAAAAgACQQZgFkUmgAZFNgADzAAAAAA=="                                                                                                                                                                                 // x / 127.5 - 1
	codeShift311   = "4wEAAAAAAAAAAAAAAAIAAAADAAAA8xIAAACXAHwAZAF6CgAAZAJ6BQAAUwApA07nAAAAAAAA4D/pAgAAAKkAqQHaAXhzAQAAACD6CDxzdHJpbmc++gg8bGFtYmRhPnIIAAAAAwAAAHMOAAAAgACoYbAjqWe4EaldgADzAAAAAA=="                                                                                                                                                                                 // (x - 0.5) * 2
	codeDouble311  = "4wEAAAAAAAAAAAAAAAIAAAADAAAA8wwAAACXAHwAZAF6BQAAUwApAk7pAgAAAKkAqQHaAXhzAQAAACD6CDxzdHJpbmc++gg8bGFtYmRhPnIHAAAAAwAAAHMKAAAAgADAYcghwWWAAPMAAAAA"                                                                                                                                                                                                             // x * 2
	codePoly311    = "4wEAAAAAAAAAAAAAAAIAAAADAAAA8xQAAACXAHwAZAF6CAAACwBkAnoAAABTACkDTukCAAAA6QMAAACpAKkB2gF4cwEAAAAg+gg8c3RyaW5nPvoIPGxhbWJkYT5yCAAAAAMAAABzFgAAAIAA0FhZ0F1e0Vhe0Fde0GFi0VdigADzAAAAAA=="                                                                                                                                                                         // -x ** 2 + 3
	codeTwoArgs311 = "4wIAAAAAAAAAAAAAAAIAAAADAAAA8wwAAACXAHwAfAF6AAAAUwApAU6pACkC2gF42gF5cwIAAAAgIPoIPHN0cmluZz76CDxsYW1iZGE+cgYAAAADAAAAcw0AAACAANBxctB1dtFxdoAA8wAAAAA="                                                                                                                                                                                                         // lambda x, y: x + y
	codeMean37     = "4wEAAAAAAAAAAQAAAAUAAAATAAAAcxAAAAB0AGoBfABkAYgAZAKNA1MAKQNO6QEAAAApAtoEYXhpc9oIa2VlcGRpbXMpAtoBS9oEbWVhbikB2gF4KQFyAwAAAKkA+h48aXB5dGhvbi1pbnB1dC04LTg4YmM1YjdjMzk2Yj7aCDxsYW1iZGE+AgAAAPMAAAAA"                                                                                                                                                             // deepfm: K.mean(x, axis=1, keepdims=keepdims)
	codeSquare37   = "4wEAAAAAAAAAAQAAAAMAAABTAAAAcwoAAAB0AKABfAChAVMAKQFOKQLaAUvaBnNxdWFyZSkB2gF4qQByBAAAAPoePGlweXRob24taW5wdXQtOS1jMTg4MjU5ZTZhMjc+2gg8bGFtYmRhPhQAAADzAAAAAA=="                                                                                                                                                                                                 // deepfm: K.square(x)
	codeSpaceDepth = "4wEAAAAAAAAAAgAAAAQAAABDAAAAcxYAAABkAWQCbAB9AXwBagF8AGQDZASNAlMAKQX6PVRoaW4gd3JhcHBlciBmb3IgVGVuc29yZmxvdyBzcGFjZV90b19kZXB0aCB3aXRoIGJsb2NrX3NpemU9Mi7pAAAAAE7pAgAAACkB2gpibG9ja19zaXplKQLaCnRlbnNvcmZsb3faDnNwYWNlX3RvX2RlcHRoKQLaAXjaAnRmqQByCQAAAPoYc3BhY2VfdG9fZGVwdGhfc2ltcGxlLnB52hFzcGFjZV90b19kZXB0aF94MgwAAABzBAAAAAAECAE="
)

// code35 is codeHalf37 with its bytecode written as Python 3.5 would (1 or
// 3 bytes an instruction: LOAD_FAST 0, LOAD_CONST 1, BINARY_MULTIPLY,
// RETURN_VALUE), the same 8 bytes long.
func code35(t *testing.T) string {
	b, _ := base64.StdEncoding.DecodeString(codeHalf37)
	wordcode := []byte{0x7c, 0, 0x64, 1, 0x14, 0, 0x53, 0}
	i := bytes.Index(b, wordcode)
	if i < 0 {
		t.Fatal("bytecode not found")
	}
	copy(b[i:], []byte{0x7c, 0, 0, 0x64, 1, 0, 0x14, 0x53})
	return base64.StdEncoding.EncodeToString(b)
}

func lambdaConfig(name, code string) Config {
	return Config{"name": name, "trainable": true, "function": []any{code, nil, nil}, "function_type": "lambda",
		"output_shape": nil, "output_shape_type": "raw", "arguments": map[string]any{}}
}

func runLambda(t *testing.T, l Layer, xs ...float32) []float32 {
	t.Helper()
	in := Input([]int{len(xs)})
	m, err := NewModel([]*Node{in}, []*Node{l.Apply(in)})
	if err != nil {
		t.Fatal(err)
	}
	y, err := m.Run(&Tensor{Shape: []int{1, len(xs)}, Data: xs})
	if err != nil {
		t.Fatal(err)
	}
	return y[0].Data
}

// Lambdas that are arithmetic of their input run as written, from every
// Python version's bytecode.
func TestLambdaExpressions(t *testing.T) {
	cases := []struct {
		what, code string
		in, want   []float32
	}{
		{"x / 127.5 - 1 (3.11)", codeScale311, []float32{0, 127.5, 255}, []float32{-1, 0, 1}},
		{"(x - 0.5) * 2 (3.11)", codeShift311, []float32{0, 0.5, 1}, []float32{-1, 0, 1}},
		{"x * 2 (3.11)", codeDouble311, []float32{-1, 3}, []float32{-2, 6}},
		{"-x ** 2 + 3 (3.11)", codePoly311, []float32{0, 2, -3}, []float32{3, -1, -6}},
		{"x * 0.5 (3.7, deepfm.h5)", codeHalf37, []float32{4, -1}, []float32{2, -0.5}},
		{"tf.clip_by_value(x, -4, 4) (3.8, st_efficientnet)", codeClip38, []float32{-5, 0.5, 7}, []float32{-4, 0.5, 4}},
		{"K.square(x) (3.7 method call, deepfm.h5)", codeSquare37, []float32{-3, 0.5}, []float32{9, 0.25}},
		{"x * 0.5 (3.5 bytecode)", code35(t), []float32{4}, []float32{2}},
	}
	for _, c := range cases {
		t.Run(c.what, func(t *testing.T) {
			l, err := LayerFromConfig("Lambda", lambdaConfig("lam", c.code))
			if err != nil {
				t.Fatal(err)
			}
			if got := runLambda(t, l, c.in...); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			if got := l.Config()["function"]; !reflect.DeepEqual(got, []any{c.code, nil, nil}) {
				t.Errorf("config function %v", got)
			}
		})
	}
}

// Everything else is refused, naming the layer and how to register it.
func TestLambdaRefusals(t *testing.T) {
	cases := []struct {
		what string
		cfg  Config
		want string
	}{
		{"tf.space_to_depth", lambdaConfig("space_to_depth_x2", codeSpaceDepth), "function space_to_depth_x2"},
		{"closure", func() Config {
			c := lambdaConfig("mean", codeMean37)
			c["function"] = []any{codeMean37, nil, []any{true}}
			return c
		}(), "closure"},
		{"two arguments", lambdaConfig("add", codeTwoArgs311), "takes 2 arguments"},
		{"arguments", func() Config {
			c := lambdaConfig("half", codeHalf37)
			c["arguments"] = map[string]any{"k": 1.0}
			return c
		}(), "arguments"},
		{"not base64", lambdaConfig("bad", "!!"), "cannot read"},
		{"no function", Config{"name": "none"}, "cannot read"},
	}
	for _, c := range cases {
		_, err := LayerFromConfig("Lambda", c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "nn.RegisterLambda(\""+c.cfg.name()+"\"") {
			t.Errorf("%s: %v, want %q and how to register", c.what, err, c.want)
		}
	}
}

// A recognised expression's gradient is the derivative of the expression.
func TestLambdaExpressionGradients(t *testing.T) {
	for _, code := range []string{codeScale311, codePoly311, codeSquare37} {
		sc := NewNameScope()
		in := Input([]int{3}, WithScope(sc))
		l, err := LayerFromConfig("Lambda", lambdaConfig("lam", code))
		if err != nil {
			t.Fatal(err)
		}
		h := NewDense(3, WithName("d"), WithScope(sc)).Apply(in)
		m, err := NewModel([]*Node{in}, []*Node{l.Apply(h)})
		if err != nil {
			t.Fatal(err)
		}
		checkFiniteDifferences(t, m, 2)
	}
}

// A registered Go function runs for its layer, with its gradient; without
// one, training through it is an error naming it.
func TestRegisterLambda(t *testing.T) {
	double := LambdaFunc{
		OutputShape: func(in [][]int) ([]int, error) { return []int{in[0][0] * 2}, nil },
		Forward: func(x []*Tensor, y *Tensor) {
			n := x[0].Shape[1]
			for b := range x[0].Shape[0] {
				for i := range n {
					y.Data[b*2*n+i], y.Data[b*2*n+n+i] = x[0].Data[b*n+i], 3*x[0].Data[b*n+i]
				}
			}
		},
		Backward: func(x []*Tensor, y, dy *Tensor, dx []*Tensor) {
			n := x[0].Shape[1]
			for b := range x[0].Shape[0] {
				for i := range n {
					dx[0].Data[b*n+i] = dy.Data[b*2*n+i] + 3*dy.Data[b*2*n+n+i]
				}
			}
		},
	}
	RegisterLambda("stack_triple", double)
	defer RegisterLambda("stack_triple", LambdaFunc{})
	l, err := LayerFromConfig("Lambda", lambdaConfig("stack_triple", codeSpaceDepth))
	if err != nil {
		t.Fatal(err)
	}
	if got := runLambda(t, l, 1, 2); !reflect.DeepEqual(got, []float32{1, 2, 3, 6}) {
		t.Errorf("got %v", got)
	}
	sc := NewNameScope()
	in := Input([]int{2}, WithScope(sc))
	l2, _ := LayerFromConfig("Lambda", lambdaConfig("stack_triple", codeSpaceDepth))
	m, err := NewModel([]*Node{in}, []*Node{l2.Apply(NewDense(2, WithName("d"), WithScope(sc)).Apply(in))})
	if err != nil {
		t.Fatal(err)
	}
	checkFiniteDifferences(t, m, 2)

	// By function name, without a gradient.
	RegisterLambda("space_to_depth_x2", LambdaFunc{Forward: func(x []*Tensor, y *Tensor) { copy(y.Data, x[0].Data) }})
	defer RegisterLambda("space_to_depth_x2", LambdaFunc{})
	l3, err := LayerFromConfig("Lambda", lambdaConfig("s2d", codeSpaceDepth))
	if err != nil {
		t.Fatal(err)
	}
	in = Input([]int{2})
	m, err = NewModel([]*Node{in}, []*Node{l3.Apply(NewDense(2).Apply(in))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Run(&Tensor{Shape: []int{1, 2}, Data: []float32{1, 2}}); err != nil {
		t.Fatal(err)
	}
	_, err = buildPlan(m, planKey{training: true, batch: 1})
	if err == nil || !strings.Contains(err.Error(), `Lambda "s2d"`) || !strings.Contains(err.Error(), "Backward") {
		t.Errorf("training through a function without gradient: %v", err)
	}
}

// InceptionResNetV2's scaled residual still reads as a CustomScaleLayer.
func TestLambdaScaledResidual(t *testing.T) {
	l, err := LayerFromConfig("Lambda", Config{"name": "block35_1", "function": []any{codeHalf37, nil, nil}, "function_type": "lambda", "arguments": map[string]any{"scale": 0.17}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.(*CustomScaleLayer); !ok {
		t.Fatalf("%T", l)
	}
}

func TestTensorFlowOpLayer(t *testing.T) {
	tr, err := LayerFromConfig("TensorFlowOpLayer", Config{"name": "transpose_1", "node_def": map[string]any{"op": "Transpose"}, "constants": map[string]any{"1": []any{0.0, 2.0, 1.0}}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Name() != "tf_op_layer_transpose_1" || tr.ClassName() != "Permute" {
		t.Errorf("%s %s", tr.ClassName(), tr.Name())
	}
	in := Input([]int{3, 2})
	m, err := NewModel([]*Node{in}, []*Node{tr.Apply(in)})
	if err != nil {
		t.Fatal(err)
	}
	y, _ := m.Run(&Tensor{Shape: []int{1, 3, 2}, Data: []float32{1, 2, 3, 4, 5, 6}})
	if !reflect.DeepEqual(y[0].Data, []float32{1, 3, 5, 2, 4, 6}) || !reflect.DeepEqual(y[0].Shape, []int{1, 2, 3}) {
		t.Errorf("transpose %v %v", y[0].Shape, y[0].Data)
	}
	rs, err := LayerFromConfig("TensorFlowOpLayer", Config{"name": "Reshape", "node_def": map[string]any{"op": "Reshape"}, "constants": map[string]any{"1": []any{-1.0, 6.0}}})
	if err != nil || rs.ClassName() != "Reshape" || !reflect.DeepEqual(rs.Config()["target_shape"], []int{6}) {
		t.Errorf("reshape %v %v", rs, err)
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{"name": "m", "node_def": map[string]any{"op": "Mul"}}, `op "Mul"`},
		{Config{"name": "t", "node_def": map[string]any{"op": "Transpose"}, "constants": map[string]any{"1": []any{1.0, 0.0}}}, "moves the batch"},
		{Config{"name": "r", "node_def": map[string]any{"op": "Reshape"}, "constants": map[string]any{"1": []any{2.0, 3.0}}}, "keeps the batch"},
		{Config{"name": "r", "node_def": map[string]any{"op": "Reshape"}}, "without constant operand 1"},
	} {
		if _, err := LayerFromConfig("TensorFlowOpLayer", c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.cfg, err, c.want)
		}
	}
	if _, err := LayerFromConfig("TFOpLambda", Config{"name": "tf.compat.v1.shape", "function": "compat.v1.shape"}); err == nil || !strings.Contains(err.Error(), "tf.compat.v1.shape is not supported") {
		t.Errorf("TFOpLambda: %v", err)
	}
}

func TestElementExprDerivatives(t *testing.T) {
	x := &elementExpr{op: "x"}
	c := func(v float32) *elementExpr { return &elementExpr{op: "const", c: v} }
	for _, e := range []*elementExpr{
		{op: "/", a: c(2), b: x}, {op: "**", a: c(2), b: x}, {op: "**", a: x, b: c(3)},
		{op: "tanh", a: x}, {op: "sigmoid", a: x}, {op: "exp", a: x},
	} {
		const at, h = 0.7, 1e-3
		_, d := e.eval(at)
		hi, _ := e.eval(at + h)
		lo, _ := e.eval(at - h)
		if num := (float64(hi) - float64(lo)) / (2 * h); math.Abs(num-float64(d)) > 1e-2*math.Max(1, math.Abs(num)) {
			t.Errorf("%v: derivative %g, numerically %g", e, d, num)
		}
	}
}

// The bytecode reader never panics nor loops, whatever the instructions.
func FuzzRecogniseLambda(f *testing.F) {
	for _, c := range []string{codeScale311, codeClip38, codeSquare37, codeHalf37} {
		code, err := decodeLambdaCode([]any{c, nil, nil})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(code.Bytecode, uint8(code.Layout))
	}
	f.Fuzz(func(t *testing.T, bytecode []byte, layout uint8) {
		code := &pymarshal.Code{Layout: pymarshal.Layout(layout % 3), ArgCount: 1, Bytecode: bytecode,
			Consts: []any{nil, 2.0, int64(3), []any{"clip_value_min", "clip_value_max"}, "s"},
			Names:  []string{"tf", "clip_by_value", "square", "math", "K"}}
		if e, err := recogniseLambda(code); err == nil {
			e.eval(0.5)
			_ = e.String()
		}
	})
}

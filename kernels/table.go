package kernels

import (
	"fmt"
	"strings"
)

// kernelTable is one instruction set's kernels: every entry point the engines
// dispatch through. One table per ISA (table_amd64.go, table_arm64.go, and
// genericTable below) is chosen at start-up (active), so the engines read
// the kernels of a single ISA and never name an assembly symbol themselves.
//
// Where an ISA has no assembly for an entry, the entry is the generic Go
// twin: the GEMM micro-kernel's Go version, a conv spec with no asm (the
// engine runs convKernelGeneric), no Winograd transforms (lanes 0: direct
// convolution), and nil row-kernel sets, for which the engines run their Go
// loops, the generic path. The Go loops are not reshaped into the kernels'
// pointer signatures: that would change the generic path's summation order.
type kernelTable struct {
	path Path
	cpu  func() bool // whether this CPU runs the table (nil: every CPU)

	sgemm microKernelSpec // GEMM micro-kernel, mr x nr tile
	// sgemv is the one-row kernel for panels sgemm.nr wide (a Dense layer at
	// batch 1); nil: the GEMM runs for one row too.
	sgemv gemvPanelKernel

	conv convKernelSpec // indirect conv micro-kernel
	// conv16, on a table whose conv kernel is 32 wide, is the 16-wide one the
	// pointwise path takes for 16 or 48 output channels.
	conv16    *convKernelSpec
	winograd  winogradTransforms // F(2x2,3x3) transforms; lanes 0: none
	winograd4 winogradTransforms // F(4x4,3x3) transforms; lanes 0: none

	depthwise   *depthwiseKernels // nil: the Go loops
	pool        *poolKernels      // nil: the Go loops
	elementwise *vecKernels       // nil: the Go loops
	// nonlinear computes the Nonlinear activations and their gradients, bit
	// for bit as the Go twins (nonlinearGo, nonlinearGradGo), which every
	// table without assembly for them holds.
	nonlinear nonlinearKernels

	// qgemm is the int8 GEMM (qgemm_engine.go); nil: the Go twin. Its
	// results equal the twin's bit for bit.
	qgemm *qgemmKernels
	// qgemmPairs, if set, is the int8 GEMM for weights whose pairs fit
	// int16 sums (qgemmPairsFit), faster than qgemm where qgemm widens.
	qgemmPairs *qgemmKernels
	// qdepthwise is the int8 depthwise row kernel (qconv.go); nil: the Go
	// twin.
	qdepthwise *qdwKernels
	// qmaxRows is the uint8 max over window rows (QMaxPool2D): out[ch] =
	// max over i < n of rows[i][ch], ch < c (a multiple of 16); nil: Go.
	qmaxRows func(rows **uint8, n, c int, out *uint8)
	// qquantize is QuantizeU8's loop, 16 values a step (q the qParams of
	// the clamp and zero point); nil: Go.
	qquantize func(n int, x *float32, q *float32, scale float32, y *uint8)
	// bf16 is the bfloat16 GEMM (bf16.go); nil: the Go twin.
	bf16 *bf16Kernels

	// fmaPeak runs n iterations of the widest FMA loop and returns the flops.
	fmaPeak func(n int) float64
}

// runs says whether this CPU can run t.
func (t *kernelTable) runs() bool { return t.cpu == nil || t.cpu() }

// depthwiseKernels are the depthwise row and tap kernels (multiplier 1,
// channels a multiple of 8).
type depthwiseKernels struct {
	rows     []depthwiseRowKernels // 3x3 row kernels, widest vectors first
	tapsAct  func(xs, ws **float32, n, c int, bias, out *float32, flags int)
	tapsGrad func(xs, accs **float32, n, c int, dy *float32)
	// kxk runs filters of any size over the interior of an output row
	// (weights in Keras' layout); nil: the tap kernel pixel by pixel.
	kxk func(x *float32, xr, kh int, w *float32, kw int, bias, out *float32, count, c, xs, xd, flags int) `kernel:"optional"`
}

// depthwiseRowKernels run a 3x3 depthwise convolution along an output row, lanes
// channels a vector, on weights packed by packDepthwise3x3Lanes: forward with
// each activation, and the weight gradient.
type depthwiseRowKernels struct {
	lanes                     int
	linear, relu, relu6, grad func(rows **float32, wp, out *float32, count, c, xs, xd int)
}

// rowKernel returns the forward row kernel for act and c channels, and its
// vector width: the widest whose lanes divide c.
func (d *depthwiseKernels) rowKernel(act Activation, c int) (func(rows **float32, wp, out *float32, count, c, xs, xd int), int) {
	k := d.rowsFor(c)
	switch act {
	case ActReLU:
		return k.relu, k.lanes
	case ActReLU6:
		return k.relu6, k.lanes
	}
	return k.linear, k.lanes
}

func (d *depthwiseKernels) rowsFor(c int) *depthwiseRowKernels {
	for i := range d.rows {
		if c%d.rows[i].lanes == 0 {
			return &d.rows[i]
		}
	}
	return &d.rows[len(d.rows)-1]
}

// poolKernels are the pooling window kernels (channels a multiple of 8, at
// most 64 window elements).
type poolKernels struct {
	maxRows     func(rows **float32, n, c int, out *float32)
	sumRows     func(rows **float32, n, c int, scale float32, out *float32)
	maxGradRows func(xs, dxs **float32, n, c int, dy *float32)
}

// vecKernels are the elementwise vector loops, 8 floats a step (n, or c, a
// multiple of 8), and the 8x8 tile transpose.
type vecKernels struct {
	addAct         func(a, b, y *float32, n, flags int)
	act            func(x, y *float32, n, flags int)
	actGrad        func(x, dy, dx *float32, n, flags int)
	biasAct        func(x, scale, shift, y *float32, rows, c, flags int)
	axpy           func(alpha float32, x, y *float32, n int)
	colSumSq       func(x, mean, sum, sumsq *float32, rows, c int)
	colSum64       func(x *float32, rows, c int, acc *float64) `kernel:"optional"` // nil: the Go loop
	flushDenormals func(x *float32, n int)                     `kernel:"optional"` // n a multiple of 8; nil: the Go loop
	// layerNorm: rows of n floats, n a multiple of 16; nil: layerNormRowGo.
	layerNorm         func(x *float32, rows, n int, eps float64, gamma, beta, y *float32) `kernel:"optional"`
	colDot            func(x, dy, mean, sdy, sdyx *float32, rows, c int)
	colAffine2        func(a, b, sa, sb, shift, y *float32, rows, c int)
	transpose8x8Tiles func(src *float32, lds int, dst *float32, ldd int, rows, cols int)
}

// genericTable is pure Go: the 6x16 GEMM micro-kernel's twin, the conv
// engine's Go micro-kernel, no Winograd, and the engines' Go loops.
var genericTable = kernelTable{
	path:      Generic,
	nonlinear: nonlinearTwins,
	sgemm:     microKernelSpec{mr: 6, nr: 16, run: sgemm6x16Go},
	conv:      convKernelSpec{mr: 6, nr: 16},
	fmaPeak:   goPeakLoop,
}

func sgemm6x16Go(kc int, a, b, c []float32, ldc int, acc bool) {
	microKernelGeneric(6, 16, kc, a, b, c, ldc, acc)
}

// tableFor returns the table of path p in this build, or nil.
func tableFor(p Path) *kernelTable {
	if p == Generic {
		return &genericTable
	}
	for _, t := range asmTables {
		if t.path == p {
			return t
		}
	}
	return nil
}

// String names the table and its kernels by tile and vector width, as
// `keel env` reports them.
func (t *kernelTable) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: sgemm %dx%d", t.path, t.sgemm.mr, t.sgemm.nr)
	if t.sgemm.direct != nil {
		b.WriteString(" (+direct)")
	}
	if t.sgemv != nil {
		fmt.Fprintf(&b, ", sgemv %d", t.sgemm.nr)
	}
	lang := "asm"
	if t.conv.asm == nil {
		lang = "Go"
	}
	fmt.Fprintf(&b, ", conv %dx%d %s", t.conv.mr, t.conv.nr, lang)
	if t.winograd.lanes > 0 {
		fmt.Fprintf(&b, ", winograd x%d", t.winograd.lanes)
	}
	if d := t.depthwise; d != nil {
		b.WriteString(", depthwise x")
		for i, r := range d.rows {
			if i > 0 {
				b.WriteString("/")
			}
			fmt.Fprint(&b, r.lanes)
		}
	}
	if t.pool != nil {
		b.WriteString(", pooling")
	}
	if t.elementwise != nil {
		b.WriteString(", elementwise")
	}
	if t.qgemm != nil {
		fmt.Fprintf(&b, ", int8 %s %dx%d", t.qgemm.name, t.qgemm.mr, t.qgemm.nr)
		if t.qgemmPairs != nil {
			fmt.Fprintf(&b, " (%s on 7-bit weights)", t.qgemmPairs.name)
		}
	}
	if t.qdepthwise != nil {
		fmt.Fprintf(&b, ", int8 depthwise x%d", t.qdepthwise.lanes)
	}
	if t.bf16 != nil {
		fmt.Fprintf(&b, ", bf16 %dx%d", t.bf16.mr, bf16NR)
	}
	return b.String()
}

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestElementwiseTwins compares the vector loops with the Go loops on every
// length up to 100 and a few long ones, with ReLU6 inputs across 0 and 6.
func TestElementwiseTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	lengths := []int{1000, 4099, 70001}
	for n := 0; n <= 100; n++ {
		lengths = append(lengths, n)
	}
	run := func(v convVariant, fn func()) { withConvVariant(t, v, fn) }
	vs := convVariants()
	for _, n := range lengths {
		a, b := randSlice(r, n), randSlice(r, n)
		for i := range a {
			a[i] *= 8
		}
		for _, act := range []Activation{ActNone, ActReLU, ActReLU6} {
			var outs [][]float32
			for _, v := range vs {
				y := make([]float32, 5*n)
				run(v, func() {
					Activate(act, a, y[:n])
					ActivateBackward(act, a, b, y[n:2*n])
					AddAct(a, b, act, y[2*n:3*n])
					copy(y[3*n:4*n], b)
					Axpy(-1.5, a, y[3*n:4*n])
					copy(y[4*n:], a)
					AddAct(y[4*n:], b, act, y[4*n:]) // in place
				})
				outs = append(outs, y)
			}
			for i := 1; i < len(outs); i++ {
				// Exact but for Axpy, where the vector loop fuses the multiply-add.
				require.Equal(t, outs[0][:3*n], outs[i][:3*n], "n=%d act=%v: %s differs from %s", n, act, vs[i].name, vs[0].name)
				require.Equal(t, outs[0][4*n:], outs[i][4*n:], "n=%d act=%v: in place", n, act)
				requireClose(t, outs[0][3*n:4*n], outs[i][3*n:4*n], 1, fmt.Sprintf("axpy n=%d", n))
			}
		}
	}
	for _, c := range []int{1, 7, 8, 16, 24, 40, 64} {
		rows := 37
		x := randSlice(r, rows*c)
		gm, bt, mean, vr := randSlice(r, c), randSlice(r, c), randSlice(r, c), randSlice(r, c)
		for i := range vr {
			vr[i] = vr[i]*vr[i] + 0.1
		}
		var outs [][]float32
		for _, v := range vs {
			y := make([]float32, 2*rows*c)
			run(v, func() {
				BiasAdd(x, bt, ActReLU6, y[:rows*c])
				BatchNormInference(x, gm, bt, mean, vr, 1e-3, ActReLU, y[rows*c:])
			})
			outs = append(outs, y)
		}
		for i := 1; i < len(outs); i++ {
			requireClose(t, outs[0], outs[i], 1, fmt.Sprintf("c=%d %s vs %s", c, vs[i].name, vs[0].name))
		}
	}
}

func TestTransposeRows(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, v := range convVariants() {
		withConvVariant(t, v, func() {
			for _, rc := range [][2]int{{1, 1}, {8, 8}, {9, 17}, {64, 512}, {33, 40}, {16, 7}, {7, 16}} {
				rows, cols := rc[0], rc[1]
				src := randSlice(r, rows*cols)
				dst := make([]float32, rows*cols)
				for r0 := 0; r0 < rows; r0 += 16 {
					transposeRows(src, rows, cols, r0, min(rows, r0+16), dst)
				}
				for i := 0; i < rows; i++ {
					for j := 0; j < cols; j++ {
						require.Equal(t, src[i*cols+j], dst[j*rows+i], "%s %dx%d (%d,%d)", v.name, rows, cols, i, j)
					}
				}
			}
		})
	}
}

// TestBatchNormTrainTwins compares the vector loops of training-mode batch
// normalisation with the Go loops.
func TestBatchNormTrainTwins(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	vs := convVariants()
	for _, c := range []int{3, 8, 16, 40, 64} {
		for _, rows := range []int{1, 7, 64, 300, 5000} {
			x := randSlice(r, rows*c)
			for i := range x {
				x[i] = x[i]*3 + 1
			}
			dy := randSlice(r, rows*c)
			gm, bt := randSlice(r, c), randSlice(r, c)
			var outs [][]float32
			for _, v := range vs {
				out := make([]float32, 2*rows*c+4*c)
				withConvVariant(t, v, func() {
					y, dx := out[:rows*c], out[rows*c:2*rows*c]
					st := out[2*rows*c:]
					BatchNormTrain(x, gm, bt, 1e-3, y, st[:c], st[c:2*c])
					BatchNormTrainBackward(x, dy, gm, st[:c], st[c:2*c], 1e-3, dx, st[2*c:3*c], st[3*c:])
				})
				outs = append(outs, out)
			}
			for i := 1; i < len(outs); i++ {
				requireClose(t, outs[0], outs[i], 4, fmt.Sprintf("c=%d rows=%d %s", c, rows, vs[i].name))
			}
		}
	}
}

// TestBatchNormInferenceStrided checks that normalising the leading channels
// of wider rows gives exactly what normalising them gathered does, on every
// code path.
func TestBatchNormInferenceStrided(t *testing.T) {
	r := rand.New(rand.NewPCG(57, 58))
	for _, v := range convVariants() {
		for _, c := range []int{3, 8, 64} {
			for _, rows := range []int{1, 7, 3000} {
				for _, ldx := range []int{c, c + 5, 3 * c} {
					wide := randSlice(r, (rows-1)*ldx+c)
					gathered := make([]float32, rows*c)
					for i := 0; i < rows; i++ {
						copy(gathered[i*c:(i+1)*c], wide[i*ldx:])
					}
					gm, bt, mean := randSlice(r, c), randSlice(r, c), randSlice(r, c)
					vari := randSlice(r, c)
					for i := range vari {
						vari[i] = vari[i]*vari[i] + 0.1
					}
					want, got := make([]float32, rows*c), make([]float32, rows*c)
					withConvVariant(t, v, func() {
						BatchNormInference(gathered, gm, bt, mean, vari, 1e-3, ActReLU, want)
						BatchNormInferenceStrided(wide, ldx, rows, gm, bt, mean, vari, 1e-3, ActReLU, got)
					})
					if !slices.Equal(want, got) {
						t.Fatalf("%s c=%d rows=%d ldx=%d: strided differs", v.name, c, rows, ldx)
					}
				}
			}
		}
	}
}

func TestFlushDenormals(t *testing.T) {
	tiny := math.Float32frombits(1) // the smallest denormal
	in := []float32{1, -2, 0, float32(math.Copysign(0, -1)), tiny, -tiny, math.SmallestNonzeroFloat32 * (1 << 23), float32(math.Inf(-1)),
		1e-39, -1e-39, float32(math.NaN()), -math.SmallestNonzeroFloat32 * (1 << 23), math.MaxFloat32, 3e-39, -0.5, 7}
	forVariantsAndThreads(t, func(t *testing.T) {
		for n := 0; n <= len(in); n++ { // the vector loop and the Go tail
			x := append([]float32(nil), in[:n]...)
			FlushDenormals(x)
			for i, v := range in[:n] {
				want := v
				if b := math.Float32bits(v) & 0x7fffffff; b < 0x00800000 {
					want = math.Float32frombits(math.Float32bits(v) & 0x80000000)
				}
				if math.Float32bits(x[i]) != math.Float32bits(want) {
					t.Fatalf("n=%d: x[%d] = %v (%#x), want %v", n, i, x[i], math.Float32bits(x[i]), want)
				}
			}
		}
	})
}

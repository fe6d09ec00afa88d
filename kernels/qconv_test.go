package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// qPad returns x (n, h, w, c) padded with zero on every side, and its size.
func qPad(x []uint8, n, h, w, c, top, bottom, left, right int, zero uint8) ([]uint8, int, int) {
	ph, pw := h+top+bottom, w+left+right
	y := make([]uint8, n*ph*pw*c)
	for i := range y {
		y[i] = zero
	}
	for b := 0; b < n; b++ {
		for r := 0; r < h; r++ {
			copy(y[((b*ph+r+top)*pw+left)*c:], x[((b*h+r)*w)*c:((b*h+r)*w+w)*c])
		}
	}
	return y, ph, pw
}

func TestQConv2DMatchesReference(t *testing.T) {
	shapes := []ConvParams{
		{N: 1, H: 5, W: 5, C: 3, KH: 3, KW: 3, OutC: 8, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		// First layers: kernel rows of 9 and 15 bytes (copied as two 8-byte
		// moves), interior and border pixels, and ResNet's 7x7.
		{N: 2, H: 17, W: 16, C: 3, KH: 3, KW: 3, OutC: 32, StrideH: 2, StrideW: 2, PadBottom: 1, PadRight: 1},
		{N: 1, H: 12, W: 11, C: 5, KH: 3, KW: 3, OutC: 8, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 20, W: 20, C: 3, KH: 7, KW: 7, OutC: 16, StrideH: 2, StrideW: 2, PadTop: 3, PadBottom: 3, PadLeft: 3, PadRight: 3},
		{N: 2, H: 7, W: 6, C: 16, KH: 3, KW: 3, OutC: 33, StrideH: 2, StrideW: 2, PadTop: 0, PadBottom: 1, PadLeft: 0, PadRight: 1},
		{N: 1, H: 9, W: 9, C: 5, KH: 5, KW: 5, OutC: 7, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
		{N: 2, H: 4, W: 4, C: 24, KH: 1, KW: 1, OutC: 20},
		{N: 1, H: 6, W: 6, C: 8, KH: 1, KW: 1, OutC: 16, StrideH: 2, StrideW: 2},
		{N: 1, H: 8, W: 8, C: 4, KH: 3, KW: 3, OutC: 16, DilationH: 2, DilationW: 2, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
		{N: 1, H: 30, W: 30, C: 32, KH: 3, KW: 3, OutC: 32, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		// Output rows wider than a task, more columns than a task, C above a k block:
		{N: 2, H: 3, W: 100, C: 32, KH: 3, KW: 3, OutC: 300, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 3, W: 3, C: 1040, KH: 2, KW: 2, OutC: 20},
		{N: 1, H: 9, W: 9, C: 48, KH: 1, KW: 1, OutC: 48, StrideH: 2, StrideW: 2},
		{N: 1, H: 6, W: 7, C: 64, KH: 3, KW: 3, OutC: 40, StrideH: 2, StrideW: 2, DilationH: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
	}
	forQTables(t, func(t *testing.T, _ *kernelTable) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, p := range shapes {
			for _, res := range []bool{false, true} {
				q := p.norm()
				k := p.KH * p.KW * p.C
				x := randU8(rng, p.N*p.H*p.W*p.C)
				w := randI8(rng, k*p.OutC)
				xZero := int32(rng.IntN(256))
				m := p.N * q.OutH() * q.OutW()
				ep := randEpilogue(rng, m, p.OutC, k, true, false, 0, 0)
				if res {
					ep.Residual, ep.ResScale, ep.ResZero = randU8(rng, m*p.OutC), 0.7, 100
				}
				y := make([]uint8, m*p.OutC)
				QConv2D(p, x, xZero, PackQWeights(w, k, p.OutC), ep, y)
				// Reference: pad with the zero point, gather, GEMM reference.
				xp, ph, pw := qPad(x, p.N, p.H, p.W, p.C, p.PadTop, p.PadBottom, p.PadLeft, p.PadRight, uint8(xZero))
				cols := make([]uint8, m*k)
				row := 0
				for b := 0; b < p.N; b++ {
					for oy := 0; oy < q.OutH(); oy++ {
						for ox := 0; ox < q.OutW(); ox++ {
							o := 0
							for i := 0; i < p.KH; i++ {
								for j := 0; j < p.KW; j++ {
									iy, ix := oy*q.StrideH+i*q.DilationH, ox*q.StrideW+j*q.DilationW
									copy(cols[row*k+o:], xp[((b*ph+iy)*pw+ix)*p.C:][:p.C])
									o += p.C
								}
							}
							row++
						}
					}
				}
				want := qRefGemm(m, k, p.OutC, cols, k, xZero, w, ep)
				for i := range want {
					if y[i] != want[i] {
						t.Fatalf("%+v res %v: y[%d] = %d, want %d", p, res, i, y[i], want[i])
					}
				}
			}
		}
	})
}

func TestQDepthwiseMatchesReference(t *testing.T) {
	shapes := []DepthwiseParams{
		{N: 1, H: 7, W: 7, C: 16, KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 2, H: 8, W: 9, C: 35, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 0, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 9, W: 9, C: 24, KH: 5, KW: 5, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
		{N: 1, H: 10, W: 10, C: 64, KH: 5, KW: 5, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 2, PadLeft: 1, PadRight: 2},
		{N: 1, H: 6, W: 5, C: 3, KH: 3, KW: 2, Multiplier: 2},
		{N: 1, H: 6, W: 6, C: 8, KH: 3, KW: 3, DilationH: 2, DilationW: 2, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
		{N: 1, H: 1, W: 1, C: 17, KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 2, H: 28, W: 28, C: 144, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 0, PadBottom: 1, PadLeft: 0, PadRight: 1},
		{N: 1, H: 14, W: 14, C: 96, KH: 5, KW: 5, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2},
		{N: 1, H: 10, W: 10, C: 16, KH: 9, KW: 8, PadTop: 4, PadBottom: 4, PadLeft: 3, PadRight: 4},
	}
	forQTables(t, func(t *testing.T, _ *kernelTable) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, p := range shapes {
			for _, res := range []bool{false, true} {
				q := p.norm("test")
				bias := !res || p.C%2 == 0 // with and without a bias, fused or not
				oc, oh, ow := q.OutC(), q.OutH(), q.OutW()
				x := randU8(rng, p.N*p.H*p.W*p.C)
				w := randI8(rng, p.KH*p.KW*oc)
				xZero := int32(rng.IntN(256))
				m := p.N * oh * ow
				ep := randEpilogue(rng, m, oc, p.KH*p.KW, bias, false, 10, 240)
				if res {
					ep.Residual, ep.ResScale, ep.ResZero = randU8(rng, m*oc), 1.3, 3
				}
				y := make([]uint8, m*oc)
				QDepthwise(p, x, xZero, PackQDepthwise(p.KH, p.KW, p.C, p.Multiplier, w), ep, y)
				xp, ph, pw := qPad(x, p.N, p.H, p.W, p.C, p.PadTop, p.PadBottom, p.PadLeft, p.PadRight, uint8(xZero))
				hi := ep.hi()
				for b := 0; b < p.N; b++ {
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							pix := (b*oh+oy)*ow + ox
							for c := 0; c < oc; c++ {
								var acc int64
								for i := 0; i < p.KH; i++ {
									for j := 0; j < p.KW; j++ {
										iy, ix := oy*q.StrideH+i*q.DilationH, ox*q.StrideW+j*q.DilationW
										acc += int64(int32(xp[((b*ph+iy)*pw+ix)*p.C+c/q.Multiplier])-xZero) * int64(w[(i*p.KW+j)*oc+c])
									}
								}
								var r uint8
								if res {
									r = ep.Residual[pix*oc+c]
								}
								var b float32
								if ep.Bias != nil {
									b = ep.Bias[c]
								}
								want := qRefRequant(acc, ep.Scale[c], b, res, r, ep.ResScale, ep.ResZero, ep.Lo, hi, ep.OutZero)
								if got := y[pix*oc+c]; got != want {
									t.Fatalf("%+v res %v: y[%d,%d] = %d, want %d", p, res, pix, c, got, want)
								}
							}
						}
					}
				}
			}
		}
	})
}

func TestQPoolingMatchesReference(t *testing.T) {
	shapes := []PoolParams{
		{N: 1, H: 7, W: 7, C: 16, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 2, H: 6, W: 5, C: 35, KH: 2, KW: 2, StrideH: 2, StrideW: 2, PadBottom: 0, PadRight: 1},
		{N: 1, H: 5, W: 5, C: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 112, W: 112, C: 64, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadBottom: 1, PadRight: 1},
		{N: 1, H: 9, W: 9, C: 20, KH: 9, KW: 8, StrideH: 1, StrideW: 1},
	}
	forQTables(t, func(t *testing.T, _ *kernelTable) {
		rng := rand.New(rand.NewPCG(15, 16))
		for _, p := range shapes {
			x := randU8(rng, p.N*p.H*p.W*p.C)
			xZero, yZero := int32(rng.IntN(256)), int32(rng.IntN(256))
			scale := float32(rng.Float64() + 0.3)
			oh, ow := p.OutH(), p.OutW()
			ymax, yavg := make([]uint8, p.N*oh*ow*p.C), make([]uint8, p.N*oh*ow*p.C)
			QMaxPool2D(p, x, xZero, ymax)
			QAvgPool2D(p, x, xZero, scale, yZero, yavg)
			for b := 0; b < p.N; b++ {
				for r := 0; r < oh; r++ {
					for s := 0; s < ow; s++ {
						for c := 0; c < p.C; c++ {
							var mx uint8
							var sum, count int32
							for i := 0; i < p.KH; i++ {
								for j := 0; j < p.KW; j++ {
									iy, ix := r*max(p.StrideH, 1)-p.PadTop+i, s*max(p.StrideW, 1)-p.PadLeft+j
									if iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
										continue
									}
									v := x[((b*p.H+iy)*p.W+ix)*p.C+c]
									mx = max(mx, v)
									sum += int32(v) - xZero
									count++
								}
							}
							o := ((b*oh+r)*ow+s)*p.C + c
							if ymax[o] != mx {
								t.Fatalf("%+v: max[%d] = %d, want %d", p, o, ymax[o], mx)
							}
							tv := float32(float32(sum) * float32(scale/float32(count)))
							want := uint8(min(max(int32(math.RoundToEven(float64(tv)))+yZero, 0), 255))
							if yavg[o] != want {
								t.Fatalf("%+v: avg[%d] = %d, want %d (count %d)", p, o, yavg[o], want, count)
							}
						}
					}
				}
			}
		}
		// Global average pooling, both outputs.
		n, hw, c := 2, 49, 37
		x := randU8(rng, n*hw*c)
		y, yf := make([]uint8, n*c), make([]float32, n*c)
		QGlobalAvgPool(n, hw, c, x, 30, 0.8, 12, y)
		QGlobalAvgPoolFloat(n, hw, c, x, 30, 0.1, yf)
		for b := 0; b < n; b++ {
			for i := 0; i < c; i++ {
				var sum int32
				for p := 0; p < hw; p++ {
					sum += int32(x[(b*hw+p)*c+i]) - 30
				}
				tv := float32(float32(sum) * float32(float32(0.8)/float32(hw)))
				want := uint8(min(max(int32(math.RoundToEven(float64(tv)))+12, 0), 255))
				if y[b*c+i] != want {
					t.Fatalf("global: y[%d,%d] = %d, want %d", b, i, y[b*c+i], want)
				}
				if wf := float32(float32(sum) * float32(float32(0.1)/float32(hw))); yf[b*c+i] != wf {
					t.Fatalf("global float: y[%d,%d] = %v, want %v", b, i, yf[b*c+i], wf)
				}
			}
		}
	})
}

func TestQuantizeRoundTrip(t *testing.T) {
	x := []float32{-1, -0.5, 0, 0.0999, 0.1, 0.15, 0.25, 2, 100, float32(math.NaN())}
	y := make([]uint8, len(x))
	QuantizeU8(x, 0.1, 10, y)
	want := []uint8{0, 5, 10, 11, 11, 12, 12, 30, 255, 0}
	if fmt.Sprint(y) != fmt.Sprint(want) {
		t.Fatalf("QuantizeU8 = %v, want %v", y, want)
	}
	d := make([]float32, len(y))
	DequantizeU8(y, 0.5, 10, d)
	if d[0] != -5 || d[7] != 10 {
		t.Fatalf("DequantizeU8 = %v", d)
	}
	q, s := QuantizeWeights([]float32{1, 0, -0.5, 0, 0.25, 0}, 3, 2)
	if fmt.Sprint(q) != "[127 0 -64 0 32 0]" || s[0] != float32(1)/127 || s[1] != 1 {
		t.Fatalf("QuantizeWeights = %v %v", q, s)
	}
}

// QuantizeU8's assembly equals its Go loop on random bit patterns, ties,
// NaNs and out-of-range values included.
func TestQuantizeU8MatchesTwin(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	x := make([]float32, 1003)
	for i := range x {
		switch i % 4 {
		case 0:
			x[i] = math.Float32frombits(rng.Uint32())
		case 1:
			x[i] = float32(rng.IntN(600)-300) * 0.05 // halfway cases at scale 0.1
		default:
			x[i] = float32(rng.NormFloat64() * 10)
		}
	}
	forQTables(t, func(t *testing.T, _ *kernelTable) {
		for _, zero := range []int32{0, 7, 128, 255} {
			y := make([]uint8, len(x))
			QuantizeU8(x, 0.1, zero, y)
			q := qParams{lo: float32(-zero), hi: float32(255 - zero), outZero: zero}
			for i, v := range x {
				if want := q.round(float32(v / 0.1)); y[i] != want {
					t.Fatalf("zero %d: QuantizeU8(%v) = %d, want %d", zero, v, y[i], want)
				}
			}
		}
	})
}

// The assembly reads qParams by offset: lo 0, hi 4, outZero 8, resScale
// 12, resZero 16.
func TestQParamsLayout(t *testing.T) {
	var q qParams
	got := []uintptr{unsafe.Offsetof(q.lo), unsafe.Offsetof(q.hi), unsafe.Offsetof(q.outZero), unsafe.Offsetof(q.resScale), unsafe.Offsetof(q.resZero)}
	if fmt.Sprint(got) != "[0 4 8 12 16]" {
		t.Fatalf("qParams offsets %v", got)
	}
}

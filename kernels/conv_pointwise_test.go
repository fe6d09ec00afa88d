package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// pwKernelsOf lists the pointwise kernels of conv kernel uk to force: its
// strided kernels and the row-pointer twin, then nil for the path's own
// choice.
func pwKernelsOf(uk convKernelSpec) []*pwKernel {
	var ks []*pwKernel
	for _, sk := range uk.strided {
		ks = append(ks, &pwKernel{sk.mr, uk.nr, sk.fn})
	}
	rk := pwRowsKernel(uk)
	return append(ks, &rk, nil)
}

// naiveConvAdd is act(conv(x, w) + bias + res) in float64 (res may be nil).
func naiveConvAdd(p ConvParams, x, w, bias, res []float32, act Activation) []float32 {
	y := naiveConv(p, x, w, bias, ActNone)
	for i := range y {
		v := y[i]
		if res != nil {
			v = float32(float64(v) + float64(res[i]))
		}
		y[i] = act.apply(v)
	}
	return y
}

func pointwiseCases() []ConvParams {
	var ps []ConvParams
	for i, s := range []struct{ n, h, w, c, oc int }{
		{1, 7, 7, 17, 33}, {2, 5, 3, 1, 7}, {1, 1, 1, 33, 1}, {2, 9, 11, 7, 17}, {1, 14, 14, 24, 16},
		{1, 3, 5, 300, 64}, {2, 7, 7, 520, 24}, {1, 8, 7, 96, 96}, {1, 13, 1, 33, 160}, {2, 4, 4, 64, 32},
		{1, 5, 5, 1024, 48}, {1, 3, 3, 2048, 40}, {2, 4, 3, 40, 24}, {1, 1, 1, 300, 70}, {2, 1, 1, 20, 33},
	} {
		ps = append(ps, ConvParams{N: s.n, H: s.h, W: s.w, C: s.c, KH: 1, KW: 1, OutC: s.oc, DilationH: i%2 + 1})
	}
	return ps
}

// TestConv2DPointwise compares the pointwise path, with each of its kernels,
// bias or none, each activation, and a residual (none, separate, in place),
// with the float64 oracle, on 1 and 2 threads.
func TestConv2DPointwise(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, v := range convVariants() {
		for _, uk := range pwKernelsOf(v.uk) {
			mr := 0 // the path's choice
			if uk != nil {
				mr = uk.mr
			}
			for _, threads := range []int{1, 2} {
				t.Run(fmt.Sprintf("%s/mr=%d/threads=%d", v.name, mr, threads), func(t *testing.T) {
					prev := SetThreads(threads)
					defer SetThreads(prev)
					withConvVariant(t, v, func() {
						pwForce = uk
						defer func() { pwForce = nil }()
						for i, p := range pointwiseCases() {
							for resMode := 0; resMode < 3; resMode++ {
								x := randSlice(r, p.N*p.H*p.W*p.C)
								w := randSlice(r, p.C*p.OutC)
								var bias, res []float32
								if (i+resMode)%2 == 0 {
									bias = randSlice(r, p.OutC)
								}
								act := Activation((i + resMode) % 3)
								size := p.N * p.H * p.W * p.OutC
								if resMode > 0 {
									res = randSlice(r, size)
								}
								want := naiveConvAdd(p, x, w, bias, res, act)
								g := withGuards(make([]float32, size))
								got := g[16 : 16+size]
								for j := range got {
									got[j] = float32(math.NaN())
								}
								if resMode == 2 {
									copy(got, res)
									res = got
								}
								name := fmt.Sprintf("%+v act=%v res=%d", p, act, resMode)
								Conv2DPackedAdd(p, x, PackConvWeights(p, w), bias, res, act, got)
								checkGuards(t, g)
								requireClose(t, want, got, p.C+1, "Conv2DPackedAdd "+name)
								if resMode == 0 {
									// Raw weights: in place or packed per call.
									clear(got)
									conv2DPointwise(p, x, convWeights{raw: w}, bias, nil, act, 0, got)
									checkGuards(t, g)
									requireClose(t, want, got, p.C+1, "raw weights "+name)
								}
							}
						}
					})
				})
			}
		}
	}
}

// TestConv2DPackedAddOtherShapes checks the residual for convolutions the
// pointwise path does not take (the sum is a second pass).
func TestConv2DPackedAddOtherShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for i, p := range []ConvParams{
		{N: 2, H: 7, W: 5, C: 3, KH: 3, KW: 3, OutC: 17, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1},
		{N: 1, H: 9, W: 9, C: 17, KH: 1, KW: 1, OutC: 33, StrideH: 2, StrideW: 2},
		{N: 1, H: 6, W: 6, C: 8, KH: 1, KW: 1, OutC: 16, PadTop: 1},
	} {
		for inPlace := range 2 {
			x := randSlice(r, p.N*p.H*p.W*p.C)
			w := randSlice(r, p.KH*p.KW*p.C*p.OutC)
			bias := randSlice(r, p.OutC)
			size := p.N * p.OutH() * p.OutW() * p.OutC
			res := randSlice(r, size)
			act := Activation(i % 3)
			want := naiveConvAdd(p, x, w, bias, res, act)
			got := make([]float32, size)
			if inPlace == 1 {
				copy(got, res)
				res = got
			}
			Conv2DPackedAdd(p, x, PackConvWeights(p, w), bias, res, act, got)
			requireClose(t, want, got, p.KH*p.KW*p.C+1, fmt.Sprintf("%+v in place %d", p, inPlace))
		}
	}
}

// BenchmarkPointwise compares the pointwise path with the indirect one on
// MobileNetV2's and ResNet50's 1x1 shapes at batch 1.
func BenchmarkPointwise(b *testing.B) {
	defer SetThreads(SetThreads(1))
	for _, s := range []struct{ hw, c, oc int }{
		{112, 32, 16}, {112, 16, 96}, {56, 96, 24}, {56, 24, 144}, {56, 144, 24}, {28, 144, 32}, {28, 32, 192},
		{28, 192, 32}, {14, 192, 64}, {14, 64, 384}, {14, 384, 64}, {14, 384, 96}, {14, 96, 576}, {14, 576, 96},
		{7, 576, 160}, {7, 160, 960}, {7, 960, 160}, {7, 960, 320}, {7, 320, 1280},
		{56, 64, 256}, {56, 256, 64}, {28, 512, 128}, {14, 1024, 256}, {7, 2048, 512}, {1, 1024, 1000},
	} {
		p := ConvParams{N: 1, H: s.hw, W: s.hw, C: s.c, KH: 1, KW: 1, OutC: s.oc}
		r := rand.New(rand.NewPCG(1, 2))
		x := randSlice(r, s.hw*s.hw*s.c)
		w := randSlice(r, s.c*s.oc)
		bias := randSlice(r, s.oc)
		y := make([]float32, s.hw*s.hw*s.oc)
		pw := PackConvWeights(p, w)
		cw := convWeights{raw: pw.w, packed: pw.panels, nr: pw.nr}
		name := fmt.Sprintf("%dx%dx%d-%d", s.hw, s.hw, s.c, s.oc)
		b.Run(name+"/indirect", func(b *testing.B) {
			for b.Loop() {
				conv2DIndirect(p.norm(), x, cw, bias, ActReLU6, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/pointwise", func(b *testing.B) {
			for b.Loop() {
				conv2DPointwise(p.norm(), x, cw, bias, nil, ActReLU6, 0, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		// The GEMM on the input in place, bias and activation in a second pass.
		pb := PackB(false, s.c, s.oc, w, s.oc)
		m := s.hw * s.hw
		b.Run(name+"/sgemm", func(b *testing.B) {
			for b.Loop() {
				SgemmPacked(false, m, s.oc, s.c, 1, x, s.c, pb, 0, y, s.oc)
				BiasAdd(y, bias, ActReLU6, y)
			}
			b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkPointwiseKernels runs the pointwise path with each AVX-512
// strided kernel forced, on shapes where the choice is close.
func BenchmarkPointwiseKernels(b *testing.B) {
	if !canRun(AVX512) {
		b.Skip("no AVX-512")
	}
	defer SetThreads(SetThreads(1))
	for _, s := range []struct{ hw, c, oc int }{
		{7, 1024, 1024}, {7, 512, 1024}, {14, 512, 512}, {28, 256, 256}, {56, 256, 64}, {28, 512, 128}, {14, 1024, 256}, {7, 2048, 512}, {56, 96, 24}, {112, 32, 64},
	} {
		p := ConvParams{N: 1, H: s.hw, W: s.hw, C: s.c, KH: 1, KW: 1, OutC: s.oc}
		r := rand.New(rand.NewPCG(1, 2))
		x := randSlice(r, s.hw*s.hw*s.c)
		w := randSlice(r, s.c*s.oc)
		bias := randSlice(r, s.oc)
		y := make([]float32, s.hw*s.hw*s.oc)
		pw := PackConvWeights(p, w)
		cw := convWeights{raw: pw.w, packed: pw.panels, nr: pw.nr}
		for _, sk := range tableFor(AVX512).conv.strided {
			b.Run(fmt.Sprintf("%dx%dx%d-%d/mr=%d", s.hw, s.hw, s.c, s.oc, sk.mr), func(b *testing.B) {
				pwForce = &pwKernel{sk.mr, 32, sk.fn}
				defer func() { pwForce = nil }()
				for b.Loop() {
					conv2DPointwise(p.norm(), x, cw, bias, nil, ActReLU6, 0, y)
				}
				b.ReportMetric(p.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

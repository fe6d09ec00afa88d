package kernels

import "fmt"

// DepthwiseParams describes a depthwise 2-D convolution over NHWC x (N, H, W,
// C) with weights (KH, KW, C, Multiplier) as Keras stores depthwise_kernel,
// giving (N, OutH(), OutW(), C*Multiplier): output channel c*Multiplier+m is
// input channel c convolved with w[:, :, c, m]. Strides, dilations and the
// multiplier below 1 count as 1.
type DepthwiseParams struct {
	N, H, W, C                           int
	KH, KW, Multiplier                   int
	StrideH, StrideW                     int
	DilationH, DilationW                 int
	PadTop, PadBottom, PadLeft, PadRight int
}

// OutH is the output height.
func (p DepthwiseParams) OutH() int {
	return ConvOutSize(p.H, p.KH, p.StrideH, p.DilationH, p.PadTop, p.PadBottom)
}

// OutW is the output width.
func (p DepthwiseParams) OutW() int {
	return ConvOutSize(p.W, p.KW, p.StrideW, p.DilationW, p.PadLeft, p.PadRight)
}

// OutC is C * Multiplier.
func (p DepthwiseParams) OutC() int { return p.C * max(p.Multiplier, 1) }

// FLOPs is 2 x the multiply-adds.
func (p DepthwiseParams) FLOPs() float64 {
	return 2 * float64(p.N) * float64(p.OutH()) * float64(p.OutW()) * float64(p.OutC()) * float64(p.KH*p.KW)
}

func (p DepthwiseParams) norm(op string) DepthwiseParams {
	p.StrideH, p.StrideW = max(p.StrideH, 1), max(p.StrideW, 1)
	p.DilationH, p.DilationW = max(p.DilationH, 1), max(p.DilationW, 1)
	p.Multiplier = max(p.Multiplier, 1)
	if p.N < 0 || p.H < 0 || p.W < 0 || p.C < 1 || p.KH < 1 || p.KW < 1 ||
		p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0 {
		panic(fmt.Sprintf("kernels: %s: bad parameters %+v", op, p))
	}
	return p
}

// DepthwiseConv2D sets y = act(depthwise(x, w) + bias); bias has C*Multiplier
// values or is nil; y is overwritten (it must not overlap x).
func DepthwiseConv2D(p DepthwiseParams, x, w, bias []float32, act Activation, y []float32) {
	raceRead(x, w, bias)
	raceWrite(y)
	p = p.norm("DepthwiseConv2D")
	oc := p.OutC()
	checkLen("DepthwiseConv2D", "x", x, p.N*p.H*p.W*p.C)
	checkLen("DepthwiseConv2D", "w", w, p.KH*p.KW*oc)
	checkLen("DepthwiseConv2D", "y", y, p.N*p.OutH()*p.OutW()*oc)
	if bias != nil {
		checkLen("DepthwiseConv2D", "bias", bias, oc)
	}
	act, f := act.split()
	depthwiseForward(p, x, w, bias, act, f, y)
}

// DepthwiseConv2DBackwardInput sets dx (N, H, W, C), overwritten, from dy (N,
// OutH, OutW, C*Multiplier) and the weights.
func DepthwiseConv2DBackwardInput(p DepthwiseParams, dy, w, dx []float32) {
	raceRead(dy, w)
	raceWrite(dx)
	p = p.norm("DepthwiseConv2DBackwardInput")
	oc := p.OutC()
	checkLen("DepthwiseConv2DBackwardInput", "dy", dy, p.N*p.OutH()*p.OutW()*oc)
	checkLen("DepthwiseConv2DBackwardInput", "w", w, p.KH*p.KW*oc)
	checkLen("DepthwiseConv2DBackwardInput", "dx", dx, p.N*p.H*p.W*p.C)
	depthwiseBackwardInput(p, dy, w, dx)
}

// DepthwiseConv2DBackwardWeights sets dw (KH, KW, C, Multiplier) and, when not
// nil, dbias (C*Multiplier), both overwritten, summed over the batch.
func DepthwiseConv2DBackwardWeights(p DepthwiseParams, x, dy, dw, dbias []float32) {
	raceRead(x, dy)
	raceWrite(dw, dbias)
	p = p.norm("DepthwiseConv2DBackwardWeights")
	oc := p.OutC()
	checkLen("DepthwiseConv2DBackwardWeights", "x", x, p.N*p.H*p.W*p.C)
	checkLen("DepthwiseConv2DBackwardWeights", "dy", dy, p.N*p.OutH()*p.OutW()*oc)
	checkLen("DepthwiseConv2DBackwardWeights", "dw", dw, p.KH*p.KW*oc)
	depthwiseBackwardWeights(p, x, dy, dw)
	if dbias != nil {
		BiasGrad(dy[:p.N*p.OutH()*p.OutW()*oc], dbias[:oc])
	}
}

// depthwiseForwardGeneric is the row loop, parallel over output rows.
func depthwiseForwardGeneric(p DepthwiseParams, x, w, bias []float32, act Activation, y []float32) {
	oh := p.OutH()
	parallel(p.N*oh, func(t int) {
		dwPixelsFwd(p, x, w, bias, act, y, t/oh, t%oh, 0, p.OutW())
	})
}

// dwPixelsFwd computes output pixels [c0, c1) of row r of image n; for each
// it accumulates the taps with the channel loop innermost.
func dwPixelsFwd(p DepthwiseParams, x, w, bias []float32, act Activation, y []float32, n, r, c0, c1 int) {
	oh, ow, oc, m := p.OutH(), p.OutW(), p.OutC(), p.Multiplier
	g := p.geom()
	for c := c0; c < c1; c++ {
		out := y[((n*oh+r)*ow+c)*oc:][:oc]
		if bias != nil {
			copy(out, bias[:oc])
		} else {
			clear(out)
		}
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				if ih, iw, ok := g.in(r, c, kh, kw); ok {
					dwMAC(out, x[((n*p.H+ih)*p.W+iw)*p.C:][:p.C], w[(kh*p.KW+kw)*oc:][:oc], m)
				}
			}
		}
		if act != ActNone {
			for i, v := range out {
				out[i] = act.apply(v)
			}
		}
	}
}

// depthwiseBackwardInputGeneric gathers, per input pixel, the output pixels
// whose windows cover it; parallel over input rows.
func depthwiseBackwardInputGeneric(p DepthwiseParams, dy, w, dx []float32) {
	oh, ow, oc, m := p.OutH(), p.OutW(), p.OutC(), p.Multiplier
	geo := p.geom()
	parallel(p.N*p.H, func(t int) {
		n, ih := t/p.H, t%p.H
		for iw := 0; iw < p.W; iw++ {
			out := dx[((n*p.H+ih)*p.W+iw)*p.C:][:p.C]
			clear(out)
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					r, c, ok := geo.out(ih, iw, kh, kw)
					if !ok {
						continue
					}
					g := dy[((n*oh+r)*ow+c)*oc:][:oc]
					ws := w[(kh*p.KW+kw)*oc:][:oc]
					if m == 1 {
						for i := range out {
							out[i] += g[i] * ws[i]
						}
						continue
					}
					for i := range out {
						var s float32
						for j := 0; j < m; j++ {
							s += g[i*m+j] * ws[i*m+j]
						}
						out[i] += s
					}
				}
			}
		}
	})
}

// depthwiseBackwardWeightsGeneric accumulates per-task partial weight
// gradients (one task per block of output rows) and sums them in order.
func depthwiseBackwardWeightsGeneric(p DepthwiseParams, x, dy, dw []float32) {
	depthwiseWeightsByRows(p, dw, func(acc []float32, n, r int) {
		dwPixelsGrad(p, x, dy, acc, n, r, 0, p.OutW())
	})
}

// depthwiseWeightsByRows runs row(acc, n, r) for every output row, with acc a
// per-task partial gradient, and sets dw to the sum of the partials.
func depthwiseWeightsByRows(p DepthwiseParams, dw []float32, row func(acc []float32, n, r int)) {
	oh, oc := p.OutH(), p.OutC()
	nw := p.KH * p.KW * oc
	rows := p.N * oh
	clear(dw[:nw])
	if rows == 0 {
		return
	}
	tasks := min(rows, 4*Threads())
	var sc scratch
	sc.init(tasks*nw, 0)
	defer sc.free()
	part := sc.f32(tasks * nw)
	parallel(tasks, func(t int) {
		acc := part[t*nw : (t+1)*nw]
		for rr := t * rows / tasks; rr < (t+1)*rows/tasks; rr++ {
			row(acc, rr/oh, rr%oh)
		}
	})
	for t := 0; t < tasks; t++ {
		for i, v := range part[t*nw : (t+1)*nw] {
			dw[i] += v
		}
	}
}

// dwPixelsGrad adds the weight gradient of output pixels [c0, c1) of row r of
// image n into acc.
func dwPixelsGrad(p DepthwiseParams, x, dy, acc []float32, n, r, c0, c1 int) {
	oh, ow, oc, m := p.OutH(), p.OutW(), p.OutC(), p.Multiplier
	g := p.geom()
	for c := c0; c < c1; c++ {
		d := dy[((n*oh+r)*ow+c)*oc:][:oc]
		for kh := 0; kh < p.KH; kh++ {
			for kw := 0; kw < p.KW; kw++ {
				if ih, iw, ok := g.in(r, c, kh, kw); ok {
					dwMAC(acc[(kh*p.KW+kw)*oc:][:oc], x[((n*p.H+ih)*p.W+iw)*p.C:][:p.C], d, m)
				}
			}
		}
	}
}

// dwMAC adds, for each channel i of xs and each of its m outputs j,
// xs[i] * v[i*m+j] into dst[i*m+j]: one tap of a depthwise convolution (v
// the tap's weights) or of its weight gradient (v the output gradient).
func dwMAC(dst, xs, v []float32, m int) {
	if m == 1 {
		v, dst = v[:len(xs)], dst[:len(xs)]
		for i, a := range xs {
			dst[i] += a * v[i]
		}
		return
	}
	for i, a := range xs {
		for j := i * m; j < (i+1)*m; j++ {
			dst[j] += a * v[j]
		}
	}
}

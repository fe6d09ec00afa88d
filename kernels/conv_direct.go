package kernels

// Direct (loop-nest) convolutions: the simplest correct implementations, used
// for shapes the blocked paths do not cover and as the reference the tests
// compare against. They are parallel over output rows.

// conv2DDirect computes y = act(conv(x, w) + bias) with the loop nest.
func conv2DDirect(p ConvParams, x, w, bias []float32, act Activation, y []float32) {
	oh, ow := p.OutH(), p.OutW()
	parallel(p.N*oh, func(t int) {
		n, r := t/oh, t%oh
		acc := make([]float32, p.OutC)
		for c := 0; c < ow; c++ {
			if bias != nil {
				copy(acc, bias[:p.OutC])
			} else {
				clear(acc)
			}
			for kh := 0; kh < p.KH; kh++ {
				ih := r*p.StrideH + kh*p.DilationH - p.PadTop
				if ih < 0 || ih >= p.H {
					continue
				}
				for kw := 0; kw < p.KW; kw++ {
					iw := c*p.StrideW + kw*p.DilationW - p.PadLeft
					if iw < 0 || iw >= p.W {
						continue
					}
					xs := x[((n*p.H+ih)*p.W+iw)*p.C:][:p.C]
					wb := w[(kh*p.KW+kw)*p.C*p.OutC:]
					for ci, xv := range xs {
						wr := wb[ci*p.OutC : ci*p.OutC+p.OutC]
						for o, wv := range wr {
							acc[o] += xv * wv
						}
					}
				}
			}
			out := y[((n*oh+r)*ow+c)*p.OutC:][:p.OutC]
			for o, v := range acc {
				out[o] = act.apply(v)
			}
		}
	})
}

// conv2DBackwardInputDirect computes dx by gathering, for each input pixel,
// the output pixels whose windows cover it. Parallel over input rows.
func conv2DBackwardInputDirect(p ConvParams, dy, w, dx []float32) {
	oh, ow := p.OutH(), p.OutW()
	parallel(p.N*p.H, func(t int) {
		n, ih := t/p.H, t%p.H
		for iw := 0; iw < p.W; iw++ {
			out := dx[((n*p.H+ih)*p.W+iw)*p.C:][:p.C]
			clear(out)
			for kh := 0; kh < p.KH; kh++ {
				num := ih + p.PadTop - kh*p.DilationH
				if num < 0 || num%p.StrideH != 0 || num/p.StrideH >= oh {
					continue
				}
				r := num / p.StrideH
				for kw := 0; kw < p.KW; kw++ {
					numw := iw + p.PadLeft - kw*p.DilationW
					if numw < 0 || numw%p.StrideW != 0 || numw/p.StrideW >= ow {
						continue
					}
					c := numw / p.StrideW
					g := dy[((n*oh+r)*ow+c)*p.OutC:][:p.OutC]
					wb := w[(kh*p.KW+kw)*p.C*p.OutC:]
					for ci := range out {
						wr := wb[ci*p.OutC : ci*p.OutC+p.OutC]
						var s float32
						for o, gv := range g {
							s += gv * wr[o]
						}
						out[ci] += s
					}
				}
			}
		}
	})
}

// conv2DBackwardWeightsDirect computes dw with the loop nest, parallel over
// the KH*KW*C rows of dw.
func conv2DBackwardWeightsDirect(p ConvParams, x, dy, dw []float32) {
	oh, ow := p.OutH(), p.OutW()
	parallel(p.KH*p.KW, func(t int) {
		kh, kw := t/p.KW, t%p.KW
		blk := dw[t*p.C*p.OutC : (t+1)*p.C*p.OutC]
		clear(blk)
		for n := 0; n < p.N; n++ {
			for r := 0; r < oh; r++ {
				ih := r*p.StrideH + kh*p.DilationH - p.PadTop
				if ih < 0 || ih >= p.H {
					continue
				}
				for c := 0; c < ow; c++ {
					iw := c*p.StrideW + kw*p.DilationW - p.PadLeft
					if iw < 0 || iw >= p.W {
						continue
					}
					xs := x[((n*p.H+ih)*p.W+iw)*p.C:][:p.C]
					g := dy[((n*oh+r)*ow+c)*p.OutC:][:p.OutC]
					for ci, xv := range xs {
						row := blk[ci*p.OutC : ci*p.OutC+p.OutC]
						for o, gv := range g {
							row[o] += xv * gv
						}
					}
				}
			}
		}
	})
}

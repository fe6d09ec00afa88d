package kernels

// The weight gradient of a convolution with unit horizontal stride, without an
// im2col copy. dW (K x OutC, K = KH*KW*C in HWIO order) is a GEMM whose
// reduction runs over the output pixels: dW[k][o] = sum over pixels of
// x[pixel through tap k][c] * dy[pixel][o]. With the input transposed to
// planar, zero-padded (C, H+pads, W+pads) per image, the values that row k
// meets along one output row are contiguous, so the conv micro-kernel runs
// with dW's rows as its tile rows (one pointer per output row and k), dy's
// rows as its B operand (OutC floats apart) and output rows as its segments.

// wgradRowsOK says whether the row scheme applies to p with micro-kernel uk,
// and pays: it beats im2col + Sgemm where few input channels make the im2col
// copy and Sgemm's packing dominate (VGG16's first five layers: 1.1-2.7x), and
// loses to it on deep layers with short rows.
func wgradRowsOK(p ConvParams, uk convKernelSpec) bool {
	return p.StrideW == 1 && p.OutC%uk.nr == 0 && p.OutW() >= 8 && p.KH*p.KW > 1 && p.C <= 128
}

// conv2DBackwardWeightsRows computes dw (overwritten) with the row scheme.
func conv2DBackwardWeightsRows(p ConvParams, x, dy, dw []float32, uk convKernelSpec) {
	mr, nr := uk.mr, uk.nr
	oh, ow := p.OutH(), p.OutW()
	k := p.KH * p.KW * p.C
	kp := roundUp(k, mr)
	hp, wp := p.H+p.PadTop+p.PadBottom, p.W+p.PadLeft+p.PadRight
	t := Threads()
	rowsPerBlk := max(1, 256/ow) // output rows per reduction block (about 256 pixels)
	blocks := (oh + rowsPerBlk - 1) / rowsPerBlk
	strips := kp / mr
	kSplit := blocks < 2*t // few rows: the tasks split dW's rows instead
	nPart := t
	if kSplit {
		nPart = 1
	}
	buf := floatPool.Get().(*[]float32)
	defer floatPool.Put(buf)
	*buf = grow(*buf, nPart*kp*p.OutC+p.C*hp*wp+max(ow, 1))
	part := (*buf)[:nPart*kp*p.OutC]
	xt := (*buf)[nPart*kp*p.OutC : nPart*kp*p.OutC+p.C*hp*wp]
	zero := (*buf)[nPart*kp*p.OutC+p.C*hp*wp:]
	clear(part)
	clear(zero)
	for n := 0; n < p.N; n++ {
		transposePadded(p, x[n*p.H*p.W*p.C:(n+1)*p.H*p.W*p.C], xt, hp, wp)
		parallelN(t, t, func(task int) {
			b0, b1, s0, s1 := 0, blocks, 0, strips
			pt := part
			if kSplit {
				s0, s1 = strips*task/t, strips*(task+1)/t
			} else {
				b0, b1 = blocks*task/t, blocks*(task+1)/t
				pt = part[task*kp*p.OutC : (task+1)*kp*p.OutC]
			}
			ws := convWorkspaces.Get().(*convWorkspace)
			defer convWorkspaces.Put(ws)
			ws.tab = growPtrs(ws.tab, mr*rowsPerBlk)
			tab := ws.tab
			for b := b0; b < b1; b++ {
				r0 := b * rowsPerBlk
				nrows := min(rowsPerBlk, oh-r0)
				for j := 0; j < p.OutC; j += nr {
					bp := dy[((n*oh+r0)*ow)*p.OutC+j:]
					for s := s0; s < s1; s++ {
						for i := 0; i < mr; i++ {
							kk := s*mr + i
							if kk >= k {
								for g := 0; g < nrows; g++ {
									tab[g*mr+i] = &zero[0]
								}
								continue
							}
							kh, kw, c := kk/(p.KW*p.C), kk/p.C%p.KW, kk%p.C
							base := (c*hp+kh*p.DilationH)*wp + kw*p.DilationW
							for g := 0; g < nrows; g++ {
								tab[g*mr+i] = &xt[base+(r0+g)*p.StrideH*wp]
							}
						}
						convMicro(uk, nrows, ow, tab, bp, p.OutC, pt[s*mr*p.OutC+j:], p.OutC, convAccumulate, nil)
					}
				}
			}
		})
	}
	// dw = the sum of the partial gradients' first k rows.
	dw = dw[:k*p.OutC]
	copy(dw, part[:k*p.OutC])
	for q := 1; q < nPart; q++ {
		Axpy(1, part[q*kp*p.OutC:q*kp*p.OutC+k*p.OutC], dw)
	}
}

// transposePadded writes one NHWC image x (H, W, C) into xt as planes
// (C, hp, wp) with the padding zero: per input row, 8 x 8 tiles in assembly
// when it runs, the edges in Go.
func transposePadded(p ConvParams, x, xt []float32, hp, wp int) {
	vec := active.elementwise
	parallel(hp, func(r int) {
		ih := r - p.PadTop
		if ih < 0 || ih >= p.H {
			for c := 0; c < p.C; c++ {
				clear(xt[(c*hp+r)*wp : (c*hp+r+1)*wp])
			}
			return
		}
		for c := 0; c < p.C; c++ {
			row := xt[(c*hp+r)*wp : (c*hp+r+1)*wp]
			clear(row[:p.PadLeft])
			clear(row[p.PadLeft+p.W:])
		}
		src := x[ih*p.W*p.C : (ih+1)*p.W*p.C]
		wt, ct := 0, 0
		if vec != nil && p.W >= 8 && p.C >= 8 {
			wt, ct = p.W&^7, p.C&^7
			vec.transpose8x8Tiles(&src[0], p.C, &xt[r*wp+p.PadLeft], hp*wp, wt, ct)
		}
		for c := 0; c < p.C; c++ {
			dst := xt[(c*hp+r)*wp+p.PadLeft : (c*hp+r)*wp+p.PadLeft+p.W]
			iw0 := 0
			if c < ct {
				iw0 = wt
			}
			for iw := iw0; iw < p.W; iw++ {
				dst[iw] = src[iw*p.C+c]
			}
		}
	})
}

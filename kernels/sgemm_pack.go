package kernels

// packA copies the mc x kc block of alpha*op(A) at (ic, pc) into strips of mr
// rows: strip s holds, for each p, the mr values op(A)[ic+s*mr+i][pc+p],
// zero-padded past mc.
func packA(dst []float32, transA bool, a []float32, lda, ic, pc, mc, kc int, alpha float32) {
	for s := 0; s < mc; s += mr {
		strip := dst[s*kc : s*kc+mr*kc]
		rows := min(mr, mc-s)
		if transA {
			// op(A)[i][p] = a[p*lda+i]: the mr values of one p are contiguous.
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+ic+s:]
				d := strip[p*mr : p*mr+mr]
				for i := 0; i < rows; i++ {
					d[i] = alpha * src[i]
				}
				for i := rows; i < mr; i++ {
					d[i] = 0
				}
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(ic+s+i)*lda+pc : (ic+s+i)*lda+pc+kc]
			if alpha == 1 {
				for p, v := range src {
					strip[p*mr+i] = v
				}
			} else {
				for p, v := range src {
					strip[p*mr+i] = alpha * v
				}
			}
		}
		for i := rows; i < mr; i++ {
			for p := 0; p < kc; p++ {
				strip[p*mr+i] = 0
			}
		}
	}
}

// packB copies the kc x nc block of op(B) at (pc, jc) into panels of nr
// columns: panel q holds, for each p, the nr values op(B)[pc+p][jc+q*nr+j],
// zero-padded past nc.
func packB(dst []float32, transB bool, b []float32, ldb, pc, jc, kc, nc int) {
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : q*kc+nr*kc]
		cols := min(nr, nc-q)
		if !transB {
			for p := 0; p < kc; p++ {
				d := panel[p*nr : p*nr+nr]
				copy(d, b[(pc+p)*ldb+jc+q:(pc+p)*ldb+jc+q+cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)[p][j] = b[j*ldb+p]: walk each column of op(B) contiguously.
		for j := 0; j < cols; j++ {
			src := b[(jc+q+j)*ldb+pc : (jc+q+j)*ldb+pc+kc]
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := 0; p < kc; p++ {
				panel[p*nr+j] = 0
			}
		}
	}
}

// PackedB is op(B) packed once for repeated SgemmPacked calls, as the weights
// of a layer are during inference. Its layout matches the block sizes of the
// machine it was packed on.
type PackedB struct {
	k, n, kc int
	data     []float32 // per KC block of rows: panels of nr columns, kc x nr each
}

// PackB packs op(B) (k x n; B is n x k when transB) for SgemmPacked.
func PackB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	checkGemmArgs(false, transB, 0, n, k, nil, max(k, 1), b, ldb, nil, max(n, 1))
	kc := gemmBlocks().KC
	np := roundUp(n, nr)
	pb := &PackedB{k: k, n: n, kc: kc, data: make([]float32, np*k)}
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		packB(pb.data[pc*np:pc*np+np*kb], transB, b, ldb, pc, 0, kb, n)
	}
	return pb
}

// Dims returns k and n of the packed op(B).
func (pb *PackedB) Dims() (k, n int) { return pb.k, pb.n }

// panels returns the packed panels of rows pc..pc+kc and columns jc..jc+nc;
// jc is a multiple of nr.
func (pb *PackedB) panels(pc, jc, kc, nc int) []float32 {
	np := roundUp(pb.n, nr)
	base := pc*np + jc*kc
	return pb.data[base : base+roundUp(nc, nr)*kc]
}

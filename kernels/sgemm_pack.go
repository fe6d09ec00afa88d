package kernels

// packA copies the mc x kc block of alpha*op(A) at (ic, pc) into strips of mr
// rows: strip s holds, for each p, the mr values op(A)[ic+s*mr+i][pc+p],
// zero-padded past mc.
func packA(mr int, dst []float32, transA bool, a []float32, lda, ic, pc, mc, kc int, alpha float32) {
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
		// op(A)[i][p] = a[i*lda+p]: read the rows side by side so that the
		// writes to the strip are contiguous.
		var src [maxMR][]float32
		for i := 0; i < rows; i++ {
			src[i] = a[(ic+s+i)*lda+pc : (ic+s+i)*lda+pc+kc]
		}
		if rows == mr && mr == 14 {
			packA14(strip, &src, kc, alpha)
			continue
		}
		for p := 0; p < kc; p++ {
			d := strip[p*mr : p*mr+mr]
			for i := 0; i < rows; i++ {
				d[i] = alpha * src[i][p]
			}
			clear(d[rows:])
		}
	}
}

// packA14 is the inner loop of packA for full strips of 14 rows, unrolled so
// the compiler keeps the row slices in registers and drops bounds checks.
func packA14(strip []float32, src *[maxMR][]float32, kc int, alpha float32) {
	r0, r1, r2, r3, r4, r5, r6 := src[0][:kc], src[1][:kc], src[2][:kc], src[3][:kc], src[4][:kc], src[5][:kc], src[6][:kc]
	r7, r8, r9, r10, r11, r12, r13 := src[7][:kc], src[8][:kc], src[9][:kc], src[10][:kc], src[11][:kc], src[12][:kc], src[13][:kc]
	for p := 0; p < kc; p++ {
		d := strip[p*14 : p*14+14 : p*14+14]
		d[0], d[1], d[2], d[3], d[4], d[5], d[6] = alpha*r0[p], alpha*r1[p], alpha*r2[p], alpha*r3[p], alpha*r4[p], alpha*r5[p], alpha*r6[p]
		d[7], d[8], d[9], d[10], d[11], d[12], d[13] = alpha*r7[p], alpha*r8[p], alpha*r9[p], alpha*r10[p], alpha*r11[p], alpha*r12[p], alpha*r13[p]
	}
}

// packB copies the kc x nc block of op(B) at (pc, jc) into panels of nr
// columns: panel q holds, for each p, the nr values op(B)[pc+p][jc+q*nr+j],
// zero-padded past nc.
func packB(nr int, dst []float32, transB bool, b []float32, ldb, pc, jc, kc, nc int) {
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
	table    *kernelTable // whose micro-kernel the layout is for
	nr       int
	data     []float32 // per KC block of rows: panels of nr columns, kc x nr each
}

// PackB packs op(B) (k x n; B is n x k when transB) for SgemmPacked.
func PackB(transB bool, k, n int, b []float32, ldb int) *PackedB {
	checkGemmArgs(false, transB, 0, n, k, nil, max(k, 1), b, ldb, nil, max(n, 1))
	bl := gemmBlocks()
	kc, nr := bl.KC, bl.NR
	np := roundUp(n, nr)
	pb := &PackedB{k: k, n: n, kc: kc, table: active, nr: nr, data: make([]float32, np*k)}
	for pc := 0; pc < k; pc += kc {
		kb := min(kc, k-pc)
		packB(nr, pb.data[pc*np:pc*np+np*kb], transB, b, ldb, pc, 0, kb, n)
	}
	return pb
}

// Dims returns k and n of the packed op(B).
func (pb *PackedB) Dims() (k, n int) { return pb.k, pb.n }

// panels returns the packed panels of rows pc..pc+kc and columns jc..jc+nc;
// jc is a multiple of nr.
func (pb *PackedB) panels(pc, jc, kc, nc int) []float32 {
	np := roundUp(pb.n, pb.nr)
	base := pc*np + jc*kc
	return pb.data[base : base+roundUp(nc, pb.nr)*kc]
}

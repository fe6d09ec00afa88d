package kernels

// PeakFlopsLoop runs n iterations of a loop of independent 8-wide FMA chains,
// the most floating-point work a core can retire, and returns the flops done.
// The loop is that of the widest vectors the CPU has (zmm with AVX-512, else
// ymm), whichever path the kernels use: the peak is the machine's, not the
// path's. Without the assembly, a Go loop of independent multiply-adds stands in.
func PeakFlopsLoop(n int) float64 {
	for _, t := range asmTables {
		if t.runs() {
			return t.fmaPeak(n)
		}
	}
	return goPeakLoop(n)
}

// PeakFlopsLoopAVX2 is PeakFlopsLoop limited to ymm registers (0 flops where
// AVX2 is missing): the peak of the AVX2 kernels.
func PeakFlopsLoopAVX2(n int) float64 {
	if !canRun(AVX2) {
		return 0
	}
	return tableFor(AVX2).fmaPeak(n)
}

// goPeakLoop: 8 independent chains of float32 multiply-adds.
func goPeakLoop(n int) float64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	x, y := float32(0.999), float32(1e-7)
	for i := 0; i < n; i++ {
		s0 = s0*x + y
		s1 = s1*x + y
		s2 = s2*x + y
		s3 = s3*x + y
		s4 = s4*x + y
		s5 = s5*x + y
		s6 = s6*x + y
		s7 = s7*x + y
	}
	sink = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
	return float64(n) * 16
}

var sink float32

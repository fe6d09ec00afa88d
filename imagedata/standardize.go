package imagedata

import "math"

// Samplewise standardisation as numpy computes it on a float32 image: sums by
// numpy's pairwise summation (blocks of 128, eight accumulators), in float32.

// numpySum is np.add.reduce over a contiguous float32 array.
func numpySum(a []float32) float32 {
	n := len(a)
	switch {
	case n < 8:
		var s float32
		for _, v := range a {
			s += v
		}
		return s
	case n <= 128:
		var r [8]float32
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for k := range r {
				r[k] += a[i+k]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += a[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return numpySum(a[:n2]) + numpySum(a[n2:])
	}
}

// numpyMean is np.mean for float32.
func numpyMean(a []float32) float32 { return numpySum(a) / float32(len(a)) }

// numpyStd is np.std for float32: the mean of squared deviations, then sqrt.
func numpyStd(a []float32, scratch []float32) float32 {
	m := numpyMean(a)
	for i, v := range a {
		d := v - m
		scratch[i] = d * d
	}
	return float32(math.Sqrt(float64(numpyMean(scratch[:len(a)]))))
}

// samplewise is the samplewise part of ImageDataGenerator.standardize:
// subtract the image's mean, then divide by its standard deviation + 1e-6.
// As in Keras, normalising implies centring.
func samplewise(x []float32, center, normalize bool) {
	if center || normalize {
		m := numpyMean(x)
		for i := range x {
			x[i] -= m
		}
	}
	if normalize {
		d := numpyStd(x, make([]float32, len(x))) + 1e-6
		for i := range x {
			x[i] /= d
		}
	}
}

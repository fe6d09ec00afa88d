package imagedata

// Rand is numpy's legacy RandomState (MT19937) for the few calls Keras makes:
// seeding with an integer, random_sample, uniform, and shuffle/permutation.
// With the same seed it yields the same numbers, so shuffles and augmentation
// parameters can be compared with Keras run for run.
type Rand struct {
	mt  [624]uint32
	pos int
}

// NewRand is np.random.RandomState(seed).
func NewRand(seed uint32) *Rand {
	r := &Rand{}
	r.Seed(seed)
	return r
}

// Seed is np.random.seed(seed) (MT19937 init_genrand).
func (r *Rand) Seed(seed uint32) {
	r.mt[0] = seed
	for i := 1; i < len(r.mt); i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.pos = len(r.mt)
}

// Uint32 is the next raw MT19937 output.
func (r *Rand) Uint32() uint32 {
	const n, m = 624, 397
	if r.pos >= n {
		for i := 0; i < n; i++ {
			y := r.mt[i]&0x80000000 | r.mt[(i+1)%n]&0x7fffffff
			v := r.mt[(i+m)%n] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[i] = v
		}
		r.pos = 0
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Float64 is random_sample(): 53 random bits from two draws, in [0, 1).
func (r *Rand) Float64() float64 {
	a := r.Uint32() >> 5
	b := r.Uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// Uniform is uniform(low, high): low + (high-low)*random_sample().
func (r *Rand) Uniform(low, high float64) float64 {
	return low + float64((high-low)*r.Float64())
}

// interval is numpy's random_interval: a uniform integer in [0, max] by
// masked rejection sampling.
func (r *Rand) interval(max uint32) uint32 {
	if max == 0 {
		return 0
	}
	mask := max
	for s := uint(1); s <= 16; s <<= 1 {
		mask |= mask >> s
	}
	for {
		if v := r.Uint32() & mask; v <= max {
			return v
		}
	}
}

// Shuffle is shuffle(x) for a sequence of n items (Fisher-Yates from the end).
func (r *Rand) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, int(r.interval(uint32(i))))
	}
}

// Perm is permutation(n).
func (r *Rand) Perm(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	r.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

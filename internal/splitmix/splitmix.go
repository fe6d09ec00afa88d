// Package splitmix is the splitmix64 generator seeded by the FNV-1a hash of
// a string: Keel's deterministic source of initial weights, shuffles and
// dropout masks, and the generator of the golden weight spec.
package splitmix

// FNV1a64 is the 64-bit FNV-1a hash of s.
func FNV1a64(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 0x100000001b3
	}
	return h
}

// Stream is a splitmix64 generator.
type Stream struct{ state uint64 }

// New starts a stream at the given state.
func New(state uint64) *Stream { return &Stream{state} }

// FromString starts the stream of seed string s.
func FromString(s string) *Stream { return &Stream{FNV1a64(s)} }

// Next returns the next 64-bit output.
func (r *Stream) Next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// U returns the next draw: a 24-bit value in [0, 1), exact in float32.
func (r *Stream) U() float64 { return float64(r.Next()>>40) / (1 << 24) }

package kernels

import "sync"

// scratch hands out zeroed float32 and float64 slices carved from pooled
// buffers, so that the kernels' per-call temporaries (partial sums, per-channel
// factors) do not allocate once the pools are warm. Use:
//
//	var sc scratch
//	sc.init(n32, n64) // the total floats and float64s the call needs
//	defer sc.free()
//	a := sc.f32(c)
type scratch struct {
	b32      *[]float32
	b64      *[]float64
	o32, o64 int
}

var f64Pool = sync.Pool{New: func() any { return new([]float64) }}

func (s *scratch) init(n32, n64 int) {
	if n32 > 0 {
		s.b32 = floatPool.Get().(*[]float32)
		*s.b32 = grow(*s.b32, n32)
	}
	if n64 > 0 {
		s.b64 = f64Pool.Get().(*[]float64)
		if cap(*s.b64) < n64 {
			*s.b64 = make([]float64, n64)
		}
		*s.b64 = (*s.b64)[:n64]
	}
}

func (s *scratch) free() {
	if s.b32 != nil {
		floatPool.Put(s.b32)
	}
	if s.b64 != nil {
		f64Pool.Put(s.b64)
	}
}

// f32 returns the next n zeroed floats.
func (s *scratch) f32(n int) []float32 {
	v := (*s.b32)[s.o32 : s.o32+n : s.o32+n]
	s.o32 += n
	clear(v)
	return v
}

// f64 returns the next n zeroed float64s.
func (s *scratch) f64(n int) []float64 {
	v := (*s.b64)[s.o64 : s.o64+n : s.o64+n]
	s.o64 += n
	clear(v)
	return v
}

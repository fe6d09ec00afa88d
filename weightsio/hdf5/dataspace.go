package hdf5

// maxRank bounds a dataspace's rank; HDF5 itself allows 32.
const maxRank = 32

// dataspace is a decoded dataspace message.
type dataspace struct {
	shape    []int // nil for a scalar, empty-but-null for a null space
	maxShape []int // maximum dimensions, -1 for unlimited; nil when not stored
	null     bool  // no elements at all (h5py.Empty)
}

func (s dataspace) elements() uint64 {
	if s.null {
		return 0
	}
	n := uint64(1)
	for _, d := range s.shape {
		n *= uint64(d)
	}
	return n
}

// decodeDataspace decodes versions 1 and 2 of the dataspace message. Each
// dimension is bounded by limit, so the element count cannot overflow later.
func (f *File) decodeDataspace(b []byte) (dataspace, error) {
	c := f.cursor(b)
	version := c.u8()
	rank := int(c.u8())
	flags := c.u8()
	var s dataspace
	switch version {
	case 1:
		c.skip(5)
	case 2:
		switch kind := c.u8(); kind {
		case 0, 1:
		case 2:
			s.null = true
		default:
			return s, errf("dataspace type %d", kind)
		}
	default:
		return s, errf("dataspace version %d", version)
	}
	if rank > maxRank {
		return s, errf("dataspace rank %d", rank)
	}
	if s.null || rank == 0 {
		return s, nil // a scalar has no dimensions
	}
	s.shape = make([]int, rank)
	total := uint64(1)
	for i := range s.shape {
		d := c.length()
		if d > 1<<62 {
			return s, errf("dataspace dimension %d is %d", i, d)
		}
		if d != 0 && total > (1<<62)/d {
			return s, errf("dataspace with more than 2^62 elements")
		}
		total *= d
		s.shape[i] = int(d)
	}
	if flags&0x01 != 0 {
		s.maxShape = make([]int, rank)
		for i := range s.maxShape {
			m := c.length()
			if m == ^uint64(0) || m > 1<<62 || (c.sizeLen < 8 && m == 1<<(8*uint(c.sizeLen))-1) {
				s.maxShape[i] = -1
			} else {
				s.maxShape[i] = int(m)
			}
		}
	}
	if c.err != nil {
		return s, errf("dataspace: %v", c.err)
	}
	return s, nil
}

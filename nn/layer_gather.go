package nn

// gather is the work of the layers that only move values: padding,
// cropping, nearest upsampling, RepeatVector, Permute. Per sample, output
// position o (a run of chans values) copies input position src[o], or is
// zero where src[o] is -1; backward sums each output's gradient into the
// position it came from (upsampling reads one input many times).
type gather struct {
	src   []int
	chans int
	inPos int // input positions per sample
}

func (gather) backwardNeeds(*call, bool) (bool, bool) { return false, false }

func (g *gather) forward(c *call) {
	x, y, ch := c.x[0].Data, c.y.Data, g.chans
	for n := range c.x[0].Batch() {
		xs, ys := x[n*g.inPos*ch:], y[n*len(g.src)*ch:]
		for o, s := range g.src {
			dst := ys[o*ch : (o+1)*ch]
			if s < 0 {
				clear(dst)
			} else {
				copy(dst, xs[s*ch:(s+1)*ch])
			}
		}
	}
	c.forwardKernel(0)
}

func (g *gather) backward(c *call) {
	if c.dx[0] == nil {
		return
	}
	dx, dy, ch := c.dx[0].Data, c.dy.Data, g.chans
	clear(dx)
	for n := range c.dy.Batch() {
		xs, ys := dx[n*g.inPos*ch:], dy[n*len(g.src)*ch:]
		for o, s := range g.src {
			if s < 0 {
				continue
			}
			d := xs[s*ch : (s+1)*ch]
			for i, v := range ys[o*ch : (o+1)*ch] {
				d[i] += v
			}
		}
	}
	c.backwardKernel(0)
}

// forGrid calls f with every multi-index of a grid of shape dims, in
// row-major order (f must not keep idx).
func forGrid(dims []int, f func(idx []int)) {
	for _, d := range dims {
		if d <= 0 {
			return
		}
	}
	idx := make([]int, len(dims))
	for {
		f(idx)
		i := len(dims) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < dims[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// flatIndex is the row-major position of idx in a grid of shape dims, or
// -1 when idx lies outside it.
func flatIndex(idx, dims []int) int {
	p := 0
	for i, v := range idx {
		if v < 0 || v >= dims[i] {
			return -1
		}
		p = p*dims[i] + v
	}
	return p
}

// shiftMap maps each position of a grid of shape out to the position
// idx + shift of a grid of shape in (-1 outside it): padding shifts by
// minus the leading pads, cropping by the leading crops.
func shiftMap(out, in, shift []int) []int {
	src := make([]int, 0, numElements(out))
	at := make([]int, len(out))
	forGrid(out, func(idx []int) {
		for i, v := range idx {
			at[i] = v + shift[i]
		}
		src = append(src, flatIndex(at, in))
	})
	return src
}

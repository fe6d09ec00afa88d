package nn

import (
	"fmt"
	"slices"

	"github.com/keelml/keel/kernels"
)

// Multiply broadcasts as Keras 3's merge layers do: inputs of one rank whose
// dimensions are equal or 1 (squeeze-and-excitation's (N,H,W,C) * (N,1,1,C)).
// The batch dimension is not broadcast.
//
// The per-channel product (kernels.MulRows) and the full-size one
// (kernels.Mul) are threaded kernels; the general broadcast and the
// reductions of backward are plain Go.

// broadcast maps the output's per-sample elements to each input's.
type broadcast struct {
	out     []int
	size    []int   // per input, per-sample elements
	strides [][]int // per input and output dimension; 0 where broadcast
	perChan []bool  // the input is 1 everywhere but a last dimension equal to the output's
}

func (l *Multiply) build(in [][]int) ([]int, error) {
	l.bc = nil
	if len(in) < 2 {
		return nil, fmt.Errorf("takes at least two inputs, got %d", len(in))
	}
	same := true
	for _, s := range in[1:] {
		if !slices.Equal(s, in[0]) {
			same = false
		}
	}
	if same {
		return slices.Clone(in[0]), nil
	}
	rank := len(in[0])
	out := slices.Clone(in[0])
	for _, s := range in {
		if len(s) != rank {
			return nil, fmt.Errorf("inputs of different ranks %v", in)
		}
		for d, n := range s {
			switch {
			case n == out[d] || n == 1:
			case out[d] == 1:
				out[d] = n
			default:
				return nil, fmt.Errorf("inputs of shapes %v do not broadcast", in)
			}
		}
	}
	b := &broadcast{out: out}
	for _, s := range in {
		st := make([]int, rank)
		step := 1
		for d := rank - 1; d >= 0; d-- {
			if s[d] != 1 || out[d] == 1 {
				st[d] = step
			}
			step *= s[d]
		}
		b.strides = append(b.strides, st)
		b.size = append(b.size, numElements(s))
		pc := rank > 0 && s[rank-1] == out[rank-1] && numElements(s) == s[rank-1]
		b.perChan = append(b.perChan, pc)
	}
	l.bc = b
	return out, nil
}

// index returns, for every per-sample output element, input i's element.
func (b *broadcast) index(i int) []int {
	n := numElements(b.out)
	idx := make([]int, n)
	if b.perChan[i] {
		c := b.out[len(b.out)-1]
		for f := range idx {
			idx[f] = f % c
		}
		return idx
	}
	rank := len(b.out)
	pos := make([]int, rank)
	off := 0
	for f := range idx {
		idx[f] = off
		for d := rank - 1; d >= 0; d-- {
			pos[d]++
			off += b.strides[i][d]
			if pos[d] < b.out[d] {
				break
			}
			off -= pos[d] * b.strides[i][d]
			pos[d] = 0
		}
	}
	return idx
}

type broadcastState struct {
	idx [][]int // per input, its element of every output element; only for the general case (nil for full and per-channel inputs)
	tmp []float32
	acc []float64 // backward's per-sample sums, reused
}

func (l *Multiply) broadcastState(c *call) *broadcastState {
	st, _ := c.state.(*broadcastState)
	if st == nil || len(st.idx) != len(c.x) {
		st = &broadcastState{idx: make([][]int, len(c.x))}
		per := numElements(l.bc.out)
		for i := range c.x {
			if l.bc.size[i] != per && !l.bc.perChan[i] {
				st.idx[i] = l.bc.index(i)
			}
		}
		c.state = st
	}
	return st
}

// gather sets (mul false) or multiplies (mul true) yn by input i's sample xn
// broadcast to the output.
func (l *Multiply) gather(st *broadcastState, i int, xn, yn []float32, mul bool) {
	switch {
	case len(xn) == len(yn):
		if mul {
			kernels.Mul(yn, xn, yn)
		} else {
			copy(yn, xn)
		}
	case l.bc.perChan[i]:
		if mul {
			kernels.MulRows(yn, xn, yn)
			return
		}
		c := len(xn)
		for r := 0; r < len(yn); r += c {
			copy(yn[r:r+c], xn)
		}
	default:
		for f, k := range st.idx[i] {
			if mul {
				yn[f] *= xn[k]
			} else {
				yn[f] = xn[k]
			}
		}
	}
}

func (l *Multiply) forwardBroadcast(c *call) {
	st := l.broadcastState(c)
	per := numElements(l.bc.out)
	y := c.y.Data
	for n := 0; n < c.y.Batch(); n++ {
		yn := y[n*per : (n+1)*per]
		if len(c.x) == 2 && l.bc.size[0] == per && l.bc.perChan[1] {
			// Squeeze-and-excitation: one pass.
			kernels.MulRows(c.x[0].Data[n*per:(n+1)*per], c.x[1].Data[n*l.bc.size[1]:(n+1)*l.bc.size[1]], yn)
			continue
		}
		for i, x := range c.x {
			l.gather(st, i, x.Data[n*l.bc.size[i]:(n+1)*l.bc.size[i]], yn, i > 0)
		}
	}
	c.forwardKernel(0)
}

// backwardBroadcast sets dx_i = the sum, over the elements input i's element
// is broadcast to, of dy times the other inputs.
func (l *Multiply) backwardBroadcast(c *call) {
	st := l.broadcastState(c)
	per := numElements(l.bc.out)
	g := scratch(&st.tmp, per)
	for i, dx := range c.dx {
		if dx == nil {
			continue
		}
		size := l.bc.size[i]
		for n := 0; n < c.dy.Batch(); n++ {
			copy(g, c.dy.Data[n*per:(n+1)*per])
			for j, x := range c.x {
				if j != i {
					l.gather(st, j, x.Data[n*l.bc.size[j]:(n+1)*l.bc.size[j]], g, true)
				}
			}
			dn := dx.Data[n*size : (n+1)*size]
			if size == per {
				copy(dn, g)
				continue
			}
			// Sum in float64: an SE gate gathers H*W products.
			if cap(st.acc) < size {
				st.acc = make([]float64, size)
			}
			acc := st.acc[:size]
			clear(acc)
			if l.bc.perChan[i] {
				for f, v := range g {
					acc[f%size] += float64(v)
				}
			} else {
				for f, k := range st.idx[i] {
					acc[k] += float64(g[f])
				}
			}
			for k, v := range acc {
				dn[k] = float32(v)
			}
		}
		c.backwardKernel(0)
	}
}

package nn

import (
	"fmt"

	"github.com/keelml/keel/kernels"
)

// NewGroupedConv2D returns a Conv2D with Keras 3's groups: the input
// channels split into groups, group g convolved with its own filters/groups
// filters; kernel (kh, kw, in/groups, filters). groups == input channels
// (ConvNeXt's 7x7 "depthwise" Conv2D, filters = channels) runs as a
// depthwise convolution with the kernel read as (kh, kw, in,
// filters/in), the same memory order; other groups run group by group
// through the ordinary convolution kernels. Options as NewConv2D.
func NewGroupedConv2D(filters, groups, kh, kw int, opts ...Option) *Conv2D {
	l := NewConv2D(filters, kh, kw, opts...)
	if l.err == nil && (groups < 1 || filters%groups != 0) {
		l.err = fmt.Errorf("nn: Conv2D: groups %d must be positive and divide filters %d", groups, filters)
	}
	l.groups = groups
	return l
}

// Groups returns Keras' groups (1 for an ordinary convolution).
func (l *Conv2D) Groups() int { return max(l.groups, 1) }

func (l *Conv2D) checkGroups(in int) error {
	if g := l.Groups(); in%g != 0 {
		return fmt.Errorf("groups %d do not divide the %d input channels", g, in)
	}
	return nil
}

// depthwiseForm says whether the grouped convolution is a depthwise one
// (one input channel per group) and gives its parameters.
func (l *Conv2D) depthwiseForm(x *Tensor) (kernels.DepthwiseParams, bool) {
	if l.groups != x.Shape[3] {
		return kernels.DepthwiseParams{}, false
	}
	return l.depthwiseParams(x, l.filters/l.groups), true
}

// groupedBufs holds one group's contiguous copies.
type groupedBufs struct {
	x, w, b, y, dy, dx, dw, db []float32
}

func convStateOf(c *call) *convState {
	st, _ := c.state.(*convState)
	if st == nil {
		st = &convState{}
		c.state = st
	}
	return st
}

func (l *Conv2D) forwardGrouped(c *call) {
	x := c.x[0]
	bias := biasOf(l.bias)
	act, after := kernelAct(l.act, c)
	if p, ok := l.depthwiseForm(x); ok {
		c.withPad(&p.PadTop, &p.PadBottom, &p.PadLeft, &p.PadRight)
		kernels.DepthwiseConv2D(p, x.Data, l.kernel.data, bias, act, c.y.Data)
		c.forwardKernel(p.FLOPs())
	} else {
		b := &convStateOf(c).grp
		p, cg, fg := l.groupParams(x)
		c.withPad(&p.PadTop, &p.PadBottom, &p.PadLeft, &p.PadRight)
		pix, opix := p.N*p.H*p.W, p.N*p.OutH()*p.OutW()
		for g := 0; g < l.groups; g++ {
			xg := gatherChannels(scratch(&b.x, pix*cg), x.Data, x.Shape[3], g*cg, cg)
			wg := gatherChannels(scratch(&b.w, l.kh*l.kw*cg*fg), l.kernel.data, l.filters, g*fg, fg)
			var bg []float32
			if bias != nil {
				bg = bias[g*fg : (g+1)*fg]
			}
			yg := scratch(&b.y, opix*fg)
			kernels.Conv2D(p, xg, wg, bg, act, yg)
			scatterChannels(c.y.Data, l.filters, g*fg, yg, fg)
			c.forwardKernel(p.FLOPs())
		}
	}
	if after {
		l.act.apply(c.y.Data, l.filters)
	}
}

// groupParams are the parameters of one group's convolution.
func (l *Conv2D) groupParams(x *Tensor) (p kernels.ConvParams, cg, fg int) {
	cg, fg = x.Shape[3]/l.groups, l.filters/l.groups
	p = l.convParams(x, fg)
	p.C = cg
	return p, cg, fg
}

// backwardGrouped computes the gradients from g, the gradient before the
// activation.
func (l *Conv2D) backwardGrouped(c *call, g []float32) {
	x := c.x[0]
	db := biasGrad(c, l.bias, 1)
	if p, ok := l.depthwiseForm(x); ok {
		if c.dw[0] != nil {
			kernels.DepthwiseConv2DBackwardWeights(p, x.Data, g, c.dw[0], db)
			c.backwardKernel(p.FLOPs())
		}
		if c.dx[0] != nil {
			kernels.DepthwiseConv2DBackwardInput(p, g, l.kernel.data, c.dx[0].Data)
			c.backwardKernel(p.FLOPs())
		}
		return
	}
	b := &convStateOf(c).grp
	p, cg, fg := l.groupParams(x)
	pix, opix := p.N*p.H*p.W, p.N*p.OutH()*p.OutW()
	for gi := 0; gi < l.groups; gi++ {
		dyg := gatherChannels(scratch(&b.dy, opix*fg), g, l.filters, gi*fg, fg)
		if c.dw[0] != nil {
			xg := gatherChannels(scratch(&b.x, pix*cg), x.Data, x.Shape[3], gi*cg, cg)
			dwg := scratch(&b.dw, l.kh*l.kw*cg*fg)
			var dbg []float32
			if db != nil {
				dbg = scratch(&b.db, fg)
			}
			kernels.Conv2DBackwardWeights(p, xg, dyg, dwg, dbg)
			scatterChannels(c.dw[0], l.filters, gi*fg, dwg, fg)
			if db != nil {
				copy(db[gi*fg:(gi+1)*fg], dbg)
			}
			c.backwardKernel(p.FLOPs())
		}
		if c.dx[0] != nil {
			wg := gatherChannels(scratch(&b.w, l.kh*l.kw*cg*fg), l.kernel.data, l.filters, gi*fg, fg)
			dxg := scratch(&b.dx, pix*cg)
			kernels.Conv2DBackwardInput(p, dyg, wg, dxg)
			scatterChannels(c.dx[0].Data, x.Shape[3], gi*cg, dxg, cg)
			c.backwardKernel(p.FLOPs())
		}
	}
}

// gatherChannels copies columns [off, off+n) of rows of width cols in src
// into dst (rows of n) and returns dst.
func gatherChannels(dst, src []float32, cols, off, n int) []float32 {
	for r := 0; r*n < len(dst); r++ {
		copy(dst[r*n:(r+1)*n], src[r*cols+off:r*cols+off+n])
	}
	return dst
}

// scatterChannels copies rows of n values of src into columns [off, off+n)
// of dst's rows of width cols.
func scatterChannels(dst []float32, cols, off int, src []float32, n int) {
	for r := 0; r*n < len(src); r++ {
		copy(dst[r*cols+off:r*cols+off+n], src[r*n:(r+1)*n])
	}
}

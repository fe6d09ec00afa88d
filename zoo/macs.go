package zoo

import "github.com/keelml/keel/nn"

// MACs returns the multiply-accumulates per sample of the convolutions and
// dense layers of m, the count behind every GFLOP/s figure (2 x MACs), as
// the reference figures count them (hooks on every Conv2d and Linear).
func MACs(m *nn.Model) int64 {
	var total int64
	for _, l := range flatLayers(m) {
		ws := l.Weights()
		nodes := l.InboundNodes()
		if len(ws) == 0 || len(nodes) == 0 {
			continue
		}
		out := nodes[0].Shape()
		pixels := int64(1)
		if len(out) == 3 {
			pixels = int64(out[0]) * int64(out[1])
		}
		k := ws[0].Shape()
		switch l.ClassName() {
		case "Conv2D", "DepthwiseConv2D":
			// kh*kw*cin*cout (or kh*kw*cin*multiplier) per output pixel.
			total += pixels * prod(k)
		case "SeparableConv2D":
			total += pixels * (prod(k) + prod(ws[1].Shape()))
		case "Dense":
			// On an image (ConvNeXt's pointwise convolutions), per pixel.
			total += pixels * prod(k)
		}
	}
	return total
}

func prod(shape []int) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}

package kernels

import "testing"

func TestConvAlgorithm(t *testing.T) {
	prevCaches := machineCaches
	defer func() { machineCaches = prevCaches }()
	machineCaches = Caches{L1: 32 << 10, L2: 1 << 20, L3: 32 << 20} // F(4x4,3x3)'s rule reads L3
	same3x3 := func(hw, c, oc int) ConvParams {
		p := ConvParams{N: 1, H: hw, W: hw, C: c, KH: 3, KW: 3, OutC: oc}
		p.PadTop, p.PadBottom = SamePadding(hw, 3, 1, 1)
		p.PadLeft, p.PadRight = SamePadding(hw, 3, 1, 1)
		return p
	}
	pointwise := ConvParams{N: 1, H: 28, W: 28, C: 64, KH: 1, KW: 1, OutC: 64}
	firstLayer := same3x3(224, 3, 64)
	deep := same3x3(14, 512, 512) // F(4x4,3x3)'s U (38 MB) is larger than L3
	large := same3x3(56, 64, 64)
	for _, p := range paths() {
		withPath(t, p, func() {
			if got := ConvAlgorithm(firstLayer); got != "direct" {
				t.Errorf("%s: 3 input channels: %s, want direct", p, got)
			}
			want := "direct"
			if p != Generic {
				want = "winograd"
			}
			if got := ConvAlgorithm(deep); got != want {
				t.Errorf("%s: 3x3 512 channels at 14x14: %s, want %s", p, got, want)
			}
			if p != Generic {
				want = "winograd4x4"
			}
			if got := ConvAlgorithm(large); got != want {
				t.Errorf("%s: 3x3 64 channels at 56x56: %s, want %s", p, got, want)
			}
			if got, ok := ConvAlgorithm(pointwise), pointwiseOK(pointwise.norm()); (got == "pointwise") != ok {
				t.Errorf("%s: 1x1: %s, pointwiseOK %v", p, got, ok)
			}
		})
	}
}

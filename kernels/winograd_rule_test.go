package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestWinogradRule checks which shapes Conv2D sends to F(2x2,3x3): only 3x3,
// stride 1, dilation 1, with 16 or more channels in and out, on an output
// large enough that it does fewer multiplies, and only on the assembly paths.
func TestWinogradRule(t *testing.T) {
	same := ConvParams{KH: 3, KW: 3, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}
	shape := func(n, hw, c, oc int, edit func(*ConvParams)) ConvParams {
		p := same
		p.N, p.H, p.W, p.C, p.OutC = n, hw, hw, c, oc
		if edit != nil {
			edit(&p)
		}
		return p.norm()
	}
	cases := []struct {
		name string
		p    ConvParams
		want bool
	}{
		{"vgg block1_conv2", shape(1, 224, 64, 64, nil), true},
		{"vgg block1_conv1 (3 channels in)", shape(1, 224, 3, 64, nil), false},
		{"8 channels in", shape(1, 56, 8, 64, nil), false},
		{"8 channels out", shape(1, 56, 64, 8, nil), false},
		{"16 channels", shape(1, 56, 16, 16, nil), true},
		{"resnet conv4 14x14", shape(1, 14, 256, 256, nil), true},
		// 16 tiles: two strips of AVX-512's 8-row short kernel (16 rows,
		// against 28 in strips of 14: as many multiplies as direct); 18
		// rows of the AVX2 6-row micro-kernel (measured 2.4 ms against 2.7
		// direct).
		{"resnet conv5 7x7", shape(1, 7, 512, 512, nil), true},
		{"valid padding", shape(2, 13, 32, 32, func(p *ConvParams) { *p = ConvParams{N: p.N, H: p.H, W: p.W, C: p.C, KH: 3, KW: 3, OutC: p.OutC} }), true},
		{"stride 2", shape(1, 56, 64, 64, func(p *ConvParams) { p.StrideH, p.StrideW = 2, 2 }), false},
		{"dilation 2", shape(1, 56, 64, 64, func(p *ConvParams) { p.DilationH, p.DilationW = 2, 2 }), false},
		{"5x5", shape(1, 56, 64, 64, func(p *ConvParams) { p.KH, p.KW = 5, 5 }), false},
		{"1x3", shape(1, 56, 64, 64, func(p *ConvParams) { p.KH = 1 }), false},
	}
	for _, path := range []Path{Generic, AVX2, AVX512, NEON} {
		prev, ok := usePath(path)
		if !ok {
			continue
		}
		_, asm := winogradAsm()
		for _, c := range cases {
			want := c.want && asm
			if _, got := winogradFor(c.p); got != want {
				t.Errorf("%s: %s: winograd %v, want %v", path, c.name, got, want)
			}
		}
		usePath(prev)
	}
}

// TestWinograd4Rule checks which shapes Conv2DPacked sends to F(4x4,3x3)
// on the assembly paths, with Zen 4's caches (32 MiB L3): large outputs whose
// U fits in L3; 14x14 and smaller keep F(2x2,3x3) or the direct algorithm.
func TestWinograd4Rule(t *testing.T) {
	prevCaches := machineCaches
	defer func() { machineCaches = prevCaches }()
	machineCaches = Caches{L1: 32 << 10, L2: 1 << 20, L3: 32 << 20}
	shape := func(hw, c, oc int) ConvParams {
		return ConvParams{N: 1, H: hw, W: hw, C: c, KH: 3, KW: 3, OutC: oc, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}.norm()
	}
	cases := []struct {
		name string
		p    ConvParams
		want int // tile side, 0: no Winograd
	}{
		{"resnet conv2 56x56x64", shape(56, 64, 64), 4},
		{"resnet conv3 28x28x128", shape(28, 128, 128), 4},
		{"densenet conv2 56x56x128->32", shape(56, 128, 32), 4},
		{"vgg block1 224x224x64", shape(224, 64, 64), 4},
		{"vgg block4 28x28x256->512 (U 19 MB)", shape(28, 256, 512), 4},
		{"vgg block4 28x28x512 (U 38 MB)", shape(28, 512, 512), 2},
		// 16 tiles of 4x4 in two strips of the 8-row short kernel (AVX-512):
		// 576 rows against 800 (49 tiles: 3 x 14 + 8); AVX2 has no short
		// kernel (18 x 36 = 648 rows, more than a third of direct's 1764).
		{"resnet conv4 14x14x256", shape(14, 256, 256), 4},
		{"densenet conv4 14x14x128->32", shape(14, 128, 32), 4},
		{"8 channels in", shape(56, 8, 64), 0},
	}
	for _, path := range []Path{AVX2, AVX512} {
		prev, ok := usePath(path)
		if !ok {
			continue
		}
		for _, c := range cases {
			want := c.want
			if path == AVX2 && c.p.H == 14 {
				want = 2
			}
			got := 0
			if tr, ok := winogradPackedFor(c.p); ok {
				got = tr.tile
			}
			if got != want {
				t.Errorf("%s: %s: tile %d, want %d", path, c.name, got, want)
			}
		}
		usePath(prev)
	}
}

// TestWinogradStrips checks how products cuts a block's rows into strips of
// the micro-kernel and of the short kernel.
func TestWinogradStrips(t *testing.T) {
	for _, c := range []struct{ rows, mr, smr, full, shorts int }{
		{16, 14, 8, 0, 2},    // 14x14 in 4x4 tiles: two strips of 8
		{49, 14, 8, 42, 1},   // 14x14 in 2x2 tiles: three of 14, one of 8
		{56, 14, 8, 56, 0},   // whole strips
		{3, 14, 8, 0, 1},     // one short strip
		{20, 14, 8, 14, 1},   // 14 + 8 = 22 rows, not 28 or 24
		{196, 14, 0, 196, 0}, // no short kernel
		{17, 6, 0, 18, 0},
	} {
		full, shorts := winogradStrips(c.rows, c.mr, c.smr)
		if full != c.full || shorts != c.shorts {
			t.Errorf("%d rows, mr %d, short %d: %d + %d short strips, want %d + %d", c.rows, c.mr, c.smr, full, shorts, c.full, c.shorts)
		}
		if got := full + shorts*c.smr; got < c.rows || got > roundUp(c.rows, c.mr) {
			t.Errorf("%d rows: %d computed, outside [%d, %d]", c.rows, got, c.rows, roundUp(c.rows, c.mr))
		}
	}
}

// TestWinogradGenericPathUnchanged: with KEEL_KERNELS=generic (here: the
// generic path switched on) Conv2D and Conv2DPacked give the direct
// algorithm's bits on a shape the assembly paths run with Winograd.
func TestWinogradGenericPathUnchanged(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	p := ConvParams{N: 1, H: 9, W: 11, C: 16, KH: 3, KW: 3, OutC: 32, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}.norm()
	x := randSlice(r, p.N*p.H*p.W*p.C)
	w := randSlice(r, 9*p.C*p.OutC)
	bias := randSlice(r, p.OutC)
	withPath(t, Generic, func() {
		want := make([]float32, p.N*p.OutH()*p.OutW()*p.OutC)
		conv2D(p, x, convWeights{raw: w}, bias, ActReLU, 0, want)
		for _, packed := range []bool{false, true} {
			t.Run(fmt.Sprintf("packed=%v", packed), func(t *testing.T) {
				got := make([]float32, len(want))
				if packed {
					Conv2DPacked(p, x, PackConvWeights(p, w), bias, ActReLU, got)
				} else {
					Conv2D(p, x, w, bias, ActReLU, got)
				}
				for i := range want {
					if !sameBits(got[i], want[i]) {
						t.Fatalf("y[%d] = %v, direct %v", i, got[i], want[i])
					}
				}
			})
		}
	})
}

// TestWinogradBlockTiles checks the tiles per block on Zen 5's caches.
func TestWinogradBlockTiles(t *testing.T) {
	prev := machineCaches
	defer func() { machineCaches = prev }()
	machineCaches = Caches{L1: 48 << 10, L2: 1 << 20, L3: 4 << 20}
	for _, c := range []struct {
		name                      string
		c, ldm, tiles, mr, thread int
		pts, smr                  int
		want                      int
	}{
		{"64 channels: V and M in half of L2", 64, 64, 12544, 14, 1, 16, 8, 56},
		{"512 channels: one block amortises U", 512, 512, 196, 14, 1, 16, 8, 196},
		{"512 channels, 2 threads: a block each", 512, 512, 196, 14, 2, 16, 8, 98},
		{"2048 channels: at most 4 x L3 of V and M", 2048, 2048, 10000, 14, 1, 16, 8, 56},
		{"few tiles: one strip", 64, 64, 3, 14, 1, 16, 8, 14},
		{"AVX2 rows", 64, 64, 12544, 6, 1, 16, 0, 60},
		{"16 tiles of 4x4, 2 threads: a short strip each", 256, 256, 16, 14, 2, 36, 8, 8},
		{"16 tiles of 4x4, 2 threads, no short kernel", 256, 256, 16, 6, 2, 36, 0, 12},
		{"49 tiles of 2x2, 2 threads: 28 and 21", 256, 256, 49, 14, 2, 16, 8, 28},
		{"F(4x4,3x3) points: V and M in half of L2", 64, 64, 3136, 14, 1, 36, 8, 56},
	} {
		if got := winogradBlockTiles(c.c, c.ldm, c.tiles, c.mr, c.thread, c.pts, c.smr); got != c.want {
			t.Errorf("%s: %d tiles per block, want %d", c.name, got, c.want)
		}
	}
}

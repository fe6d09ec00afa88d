package kernels

// The rules that choose F(2x2,3x3) and its blocking, from the layer's shape,
// the micro-kernel and the cache sizes (measured on a Zen 5 core: AVX-512,
// 48 KiB L1d, 1 MiB L2, 4 MiB L3).

// winogradMinChannels: below this many input or output channels the GEMMs
// are too short to beat the direct convolution (a first layer's C = 3;
// 56x56, 8 -> 64 channels ran 0.36 ms against 0.16 direct, 16 -> 16 ran
// 0.13 against 0.31).
const winogradMinChannels = 16

// winogradShape says whether p (normalised) is a convolution the F(2x2,3x3)
// path computes and is worth it for, whatever its spatial size.
func winogradShape(p ConvParams) bool {
	return p.KH == 3 && p.KW == 3 && p.StrideH == 1 && p.StrideW == 1 && p.DilationH == 1 && p.DilationW == 1 &&
		p.C >= winogradMinChannels && p.OutC >= winogradMinChannels
}

// winogradRawMinTiles: Conv2D without packed weights transforms them on
// every call, about 21 ns per channel pair (5.6 ms for 512 x 512 on Zen 5),
// as long as the GEMMs of some 200 tiles; below this many tiles it keeps the
// direct convolution (measured for 256 -> 512 channels at 28x28, 196 tiles:
// a tie, 10.2 against 10.0 ms direct; for 512 -> 512 at 14x14, 49 tiles:
// 13.9 against 5.1).
const winogradRawMinTiles = 256

// winogradTiles is the number of 2x2 output tiles of p.
func winogradTiles(p ConvParams) int { return winogradTilesOf(p, 2) }

// winogradTilesOf is the number of f x f output tiles of p.
func winogradTilesOf(p ConvParams, f int) int {
	return p.N * ceilDiv(p.OutH(), f) * ceilDiv(p.OutW(), f)
}

// winogradPays says whether F(2x2,3x3) does enough fewer multiplies than the
// direct convolution for p's output size: the GEMMs' rows (16 per tile, in
// the strips products runs: winogradGEMMRows) must be at most 2/3 of the
// direct algorithm's (9 per output pixel), since U is 16/9 the size of the
// weights to stream. A 7x7 output at batch 1 (16 tiles) took 28 rows of 14
// when every strip was the micro-kernel's, as many as the direct
// convolution, and was measured slower (2.3 ms against 1.65 for 512
// channels in and out); in two strips of AVX-512's 8-row short kernel it
// takes 16. 14x14 (49 tiles) does half, and ran 0.7 ms against 1.36 for 256
// channels. With AVX2's 6-row micro-kernel 7x7 takes 18 rows, just under,
// and ran 2.4 ms against 2.7.
func winogradPays(p ConvParams, mr int) bool {
	return 3*16*winogradGEMMRows(winogradTiles(p), mr, active.winograd) <= 2*9*p.N*p.OutH()*p.OutW()
}

// winogradFor returns the transforms when the F(2x2,3x3) path is taken for p
// on the active path: only with assembly transforms (the generic path and
// arm64 keep the direct convolution).
func winogradFor(p ConvParams) (winogradTransforms, bool) {
	if !winogradShape(p) {
		return winogradTransforms{}, false
	}
	tr, ok := winogradAsm()
	return tr, ok && winogradPays(p, active.sgemm.mr)
}

// winogradPackedFor returns the transforms Conv2DPacked runs p with: those
// of F(4x4,3x3) where the active table has them and they pay
// (winograd4Pays), else winogradFor's. Conv2D without packing, which
// transforms the weights on every call (36 points a channel pair rather
// than 16), and the backward pass keep F(2x2,3x3).
func winogradPackedFor(p ConvParams) (winogradTransforms, bool) {
	if !winogradShape(p) {
		return winogradTransforms{}, false
	}
	if tr := active.winograd4; tr.lanes > 0 && winograd4Pays(p, tr, active.winograd, active.sgemm.mr) {
		return tr, true
	}
	return winogradFor(p)
}

// winograd4Pays says whether F(4x4,3x3) is worth it for p: its GEMMs' rows
// (36 per 4x4 tile, in strips as winogradStrips cuts them) must be at most
// 3/4 of F(2x2,3x3)'s (16 per 2x2 tile), since its transforms cost more per
// row, and at most a third of the direct algorithm's (9 per output pixel);
// and its U (36 x C x OutC, 36/16 the size of F(2x2,3x3)'s) must fit in the
// last-level cache, since the block's GEMMs stream it once more for every
// block. Measured on Zen 4 (1 MiB L2, 32 MiB L3), 1 thread, ms F(2x2)
// against F(4x4): 56x56x64 2.10 / 1.54, 28x28x128 1.84 / 1.19,
// 56x56x128->32 1.58 / 1.18; 28x28x512 (U 38 MB) 22.1 / 23.0, but
// 28x28x256->512 (19 MB) 11.4 / 8.6. At 14x14 (16 tiles of 4x4 in two
// strips of 8, 49 of 2x2 in 3 x 14 + 8) ResNet101's 23 conv4 3x3 layers
// took 26.8-30.7 ms in all against 32.3-32.4 with F(2x2,3x3).
func winograd4Pays(p ConvParams, tr4, tr2 winogradTransforms, mr int) bool {
	rows4 := 36 * winogradGEMMRows(winogradTilesOf(p, 4), mr, tr4)
	rows2 := 16 * winogradGEMMRows(winogradTilesOf(p, 2), mr, tr2)
	u4 := 36 * 4 * p.C * p.OutC
	return 4*rows4 <= 3*rows2 && 3*rows4 <= 9*p.N*p.OutH()*p.OutW() && u4 <= machineCaches.L3
}

// winogradGEMMRows is the number of GEMM rows products computes for tiles
// tiles with tr's short kernel (winogradStrips).
func winogradGEMMRows(tiles, mr int, tr winogradTransforms) int {
	smr := tr.shortRows(active.sgemm.nr)
	full, shorts := winogradStrips(tiles, mr, smr)
	return full + shorts*smr
}

// winogradAsm returns the active table's transforms, false where it has none.
func winogradAsm() (winogradTransforms, bool) { return active.winograd, active.winograd.lanes > 0 }

// winogradBlockTiles picks the tiles per block (a multiple of mr): as many
// as keep a block's V (pts x tiles x C) and M (pts x tiles x ldm) within
// half of L2, but no fewer than amortise reading U (pts x C x OutC, streamed
// from L3 or memory once per block when it does not stay in L2 beside them)
// over twice as many bytes of V and M, and at least 4 strips of the
// micro-kernel; no more than gives each thread a block. (Measured on Zen 5,
// 1 MiB L2: blocks of 56 tiles for 512 channels in and out ran 28x28 at
// 15 ms, one block of 196 at 9.5; 64 channels were as fast from 28 to 448.)
//
// With a short kernel (smr rows) and a share per thread that one strip of
// it holds, the share is the block: 16 tiles of 4x4 (14x14) on 2 threads
// take 8 each, not 14 and 2.
func winogradBlockTiles(c, ldm, tiles, mr, threads, pts, smr int) int {
	if share := ceilDiv(tiles, threads); threads > 1 && share <= smr && share < mr {
		return share
	}
	perTile := pts * 4 * (c + ldm)
	b := machineCaches.L2 / 2 / perTile
	if u := pts * 4 * c * ldm; u > machineCaches.L2/2 {
		b = max(b, 2*u/perTile)
	}
	// A block's V and M are at most 4 x L3 (16 MiB here: 256 tiles of 512
	// channels in and out), however wide the layer.
	b = min(b, 4*machineCaches.L3/perTile)
	b = max(b/mr*mr, 4*mr)
	return max(min(b, roundUp(ceilDiv(tiles, threads), mr)), mr)
}

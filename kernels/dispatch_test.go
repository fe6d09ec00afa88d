package kernels

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestChooseTableOverride(t *testing.T) {
	best := chooseTable("").path
	tests := []struct {
		override string
		want     Path
	}{
		{"generic", Generic},
		{"GENERIC", Generic},
		{"purego", Generic},
		{"", best},
		{"something-else", best},
	}
	if canRun(AVX2) {
		tests = append(tests, struct {
			override string
			want     Path
		}{"avx2", AVX2})
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, chooseTable(tc.override).path, "KEEL_KERNELS=%q", tc.override)
	}
	require.True(t, canRun(best), "the chosen path must be runnable")
}

func TestDescribe(t *testing.T) {
	info := Describe()
	require.Equal(t, ActivePath(), info.Path)
	require.Positive(t, info.Blocks.KC)
	require.Zero(t, info.Blocks.MC%info.Blocks.MR, "MC is a multiple of MR")
	require.Zero(t, info.Blocks.NC%info.Blocks.NR, "NC is a multiple of NR")
	require.Contains(t, info.String(), string(info.Path))
}

func TestBlocksForCaches(t *testing.T) {
	for _, tb := range append([]*kernelTable{&genericTable}, asmTables...) {
		p, uk := tb.path, tb.sgemm
		for _, c := range []Caches{{32 << 10, 512 << 10, 32 << 20}, {48 << 10, 1 << 20, 4 << 20}, {1, 1, 1}, {1 << 30, 1 << 30, 1 << 30}} {
			b := blocksFor(c, uk)
			require.True(t, b.KC >= 128 && b.KC <= 512, "%s %v: KC %d", p, c, b.KC)
			require.True(t, b.MC >= uk.mr && b.MC%uk.mr == 0, "%s %v: MC %d", p, c, b.MC)
			require.True(t, b.NC >= uk.nr && b.NC%uk.nr == 0, "%s %v: NC %d", p, c, b.NC)
		}
	}
}

func TestParallelRunsEveryTaskOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 5} {
		for _, tasks := range []int{0, 1, 2, 7, 100} {
			seen := make([]int32, tasks)
			parallelN(tasks, threads, func(i int) { seen[i]++ })
			for i, n := range seen {
				require.Equal(t, int32(1), n, "threads %d tasks %d: task %d ran %d times", threads, tasks, i, n)
			}
		}
	}
}

func TestSpanOfCoversEvenly(t *testing.T) {
	for _, n := range []int{1, 5, 6, 7, 17, 100, 1031} {
		for _, parts := range []int{1, 2, 3, 7, 40} {
			for _, align := range []int{1, 6, 14, 16} {
				count := spanCount(n, parts, align)
				require.LessOrEqual(t, count, parts)
				lo := 0
				for i := 0; i < count; i++ {
					s := spanOf(n, parts, align, i)
					require.Equal(t, lo, s.lo, "n=%d parts=%d align=%d piece %d starts where the last ended", n, parts, align, i)
					require.Greater(t, s.hi, s.lo, "no empty piece")
					if i < count-1 {
						require.Zero(t, (s.hi-s.lo)%align, "pieces but the last are multiples of align")
					}
					lo = s.hi
				}
				require.Equal(t, n, lo, "the pieces cover [0, n)")
			}
		}
	}
}

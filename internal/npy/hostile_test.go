package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/stretchr/testify/require"
)

// allocated is the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileHeaders reads files whose header declares more than they hold:
// each is an error naming the file and what the header declares, and
// neither Read nor Decode allocates for the declared size.
func TestHostileHeaders(t *testing.T) {
	long := append([]byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), "{'descr': '<f4'"...)
	for _, c := range []struct {
		name string
		file []byte
		want string // Read's error after the file name
	}{
		{"huge", hostile.NPY("<f4", []int{100000, 100000, 3}, 128), "header declares shape (100000, 100000, 3) = 120 GB of float32, the file holds 128 bytes"},
		{"float64", hostile.NPY("<f8", []int{1 << 20, 1 << 20}, 0), "header declares shape (1048576, 1048576) = 8.8 TB of float64, the file holds 0 bytes"},
		{"overflow", hostile.NPY("<i8", []int{1 << 40, 1 << 40, 1 << 40}, 8), "header declares shape (1099511627776, 1099511627776, 1099511627776) = 1.06e+19 EB of int64, the file holds 8 bytes"},
		{"short", hostile.NPY("<f4", []int{3}, 8), "header declares shape (3,) = 12 bytes of float32, the file holds 8 bytes"},
		{"header", long, "header declares 2147483647 bytes, the file holds 15 after the header length"},
		{"truncated", []byte("\x93NUMPY\x01"), "unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.npy")
			require.NoError(t, os.WriteFile(path, c.file, 0o644))
			var err error
			n := allocated(func() { _, _, err = Read(path) })
			require.EqualError(t, err, "npy: "+path+": "+c.want)
			require.Less(t, n, uint64(1<<20), "Read allocated %d bytes", n)
			n = allocated(func() { _, _, err = Decode(bytes.NewReader(c.file)) })
			require.Error(t, err)
			require.Less(t, n, uint64(4<<20), "Decode allocated %d bytes", n)
		})
	}
}

// Decode streams: a header declaring 1 GB over 3 MB of data allocates about
// the data, not the declaration.
func TestDecodeAllocatesWhatArrives(t *testing.T) {
	file := hostile.NPY("<f4", []int{1 << 28}, 3<<20)
	var err error
	n := allocated(func() { _, _, err = Decode(bytes.NewReader(file)) })
	require.ErrorContains(t, err, "header declares shape (268435456,) = 1.07 GB of float32, the data ends after 3.15 MB")
	require.Less(t, n, uint64(16<<20))
	require.True(t, strings.HasSuffix(err.Error(), "unexpected EOF") || strings.HasSuffix(err.Error(), "EOF"))
}

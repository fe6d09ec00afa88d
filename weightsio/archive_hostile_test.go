package weightsio_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/weightsio"
	"github.com/stretchr/testify/require"
)

// member is one entry of a hand-made archive: its data as stored, and the
// header's method and uncompressed size (0: the data's length).
type member struct {
	name   string
	method uint16
	data   []byte
	size   uint64
}

func deflated(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// archive writes members with headers saying what the test wants, true or not.
func archive(t testing.TB, members ...member) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		h := &zip.FileHeader{Name: m.name, Method: m.method, CompressedSize64: uint64(len(m.data)), UncompressedSize64: m.size}
		if m.size == 0 {
			h.UncompressedSize64 = uint64(len(m.data))
		}
		w, err := zw.CreateRaw(h)
		require.NoError(t, err)
		_, err = w.Write(m.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// smallH5 is a valid weights file, for the archives whose other members are hostile.
func smallH5(t testing.TB) []byte {
	path := filepath.Join(t.TempDir(), "w.h5")
	require.NoError(t, weightsio.SaveWeights(path, hostile.ConvWeights("conv", 3, 4), weightsio.SaveOptions{}))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// TestHostileArchives opens .keras archives whose members declare more than
// they hold or expand like zip bombs: each is an error naming the archive and
// the member, decided from the headers before decompressing.
func TestHostileArchives(t *testing.T) {
	h5 := smallH5(t)
	zeros := deflated(t, make([]byte, 8<<20)) // 8 MB in about 8 kB
	for _, c := range []struct {
		name    string
		members []member
		want    string
	}{
		{"bomb", []member{{name: "model.weights.h5", method: zip.Deflate, data: zeros, size: 8 << 20}},
			"x.keras!model.weights.h5: member model.weights.h5 declares 8.39 MB uncompressed from"},
		{"huge", []member{{name: "model.weights.h5", method: zip.Deflate, data: zeros, size: 1 << 40}},
			"x.keras!model.weights.h5: member model.weights.h5 declares 1.1 TB uncompressed, more than the 4.29 GB accepted"},
		{"config bomb", []member{{name: "model.weights.h5", data: h5}, {name: "config.json", method: zip.Deflate, data: zeros, size: 8 << 20}},
			"x.keras!config.json: member config.json declares 8.39 MB uncompressed from"},
		{"config huge", []member{{name: "model.weights.h5", data: h5}, {name: "config.json", method: zip.Deflate, data: zeros, size: 100 << 20}},
			"x.keras!config.json: member config.json declares 105 MB uncompressed, more than the 67.1 MB accepted"},
		{"config brackets", []member{{name: "model.weights.h5", data: h5}, {name: "config.json", method: zip.Deflate, data: deflated(t, []byte(strings.Repeat("[", 100_000))), size: 100_000}},
			"x.keras!config.json: not JSON: invalid character '[' exceeded max depth"},
		{"config truncated", []member{{name: "model.weights.h5", data: h5}, {name: "config.json", method: zip.Deflate, data: deflated(t, []byte(`{"a": 1}`)), size: 4}},
			"x.keras!config.json: zip: not a valid zip file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := archive(t, c.members...)
			_, err := weightsio.NewFile(bytes.NewReader(b), int64(len(b)), "x.keras")
			require.ErrorContains(t, err, c.want)
		})
	}
}

// A stored member whose header claims more bytes than the archive has.
func TestArchiveStoredMemberPastEnd(t *testing.T) {
	h5 := smallH5(t)
	b := archive(t, member{name: "model.weights.h5", method: zip.Store, data: h5})
	// Raise both sizes in the local and central headers alike.
	n := uint32(len(h5))
	old := []byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}
	b = bytes.ReplaceAll(b, append(append([]byte{}, old...), old...), []byte{0, 0, 0, 0x40, 0, 0, 0, 0x40})
	_, err := weightsio.NewFile(bytes.NewReader(b), int64(len(b)), "x.keras")
	require.ErrorContains(t, err, "x.keras!model.weights.h5: member model.weights.h5 declares 1.07 GB, the archive holds")
}

package specweights

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/splitmix"
	"github.com/keelml/keel/internal/testenv"
	"github.com/stretchr/testify/require"
)

// The vectors the spec itself gives.
func TestSpecExamples(t *testing.T) {
	require.Equal(t, uint64(0xcbf29ce484222325), FNV1a64(""))
	require.Equal(t, uint64(0xaf63dc4c8601ec8c), FNV1a64("a"))
	require.Equal(t, uint64(0x1ebbae8f5810b65b), FNV1a64("input"))
	require.Equal(t, uint64(0xe220a8397b1dcdaf), splitmix.New(0).Next())
	img := RawImages([]int{1, 1, 1, 3})
	require.Equal(t, uint32(0x41c78ca3), math.Float32bits(img[0]))
	require.Equal(t, uint32(0x43265a16), math.Float32bits(img[1]))
}

func TestSpecVectors(t *testing.T) {
	raw, err := os.ReadFile(testenv.Shared(t, "golden", "spec_vectors.json"))
	require.NoError(t, err)
	var vec struct {
		FNV    map[string]string  `json:"fnv1a64"`
		Draws  map[string][]int64 `json:"splitmix64_u24_first8"`
		Weight []struct {
			Seed  string   `json:"seed_string"`
			Shape []int    `json:"shape"`
			FanIn int      `json:"fan_in"`
			Hex   []string `json:"first8_f32_hex"`
		} `json:"weights_first8"`
	}
	require.NoError(t, json.Unmarshal(raw, &vec))
	for s, h := range vec.FNV {
		require.Equal(t, h, fmt.Sprintf("%016x", FNV1a64(s)), "fnv1a64(%q)", s)
	}
	for s, draws := range vec.Draws {
		r := NewStream(s)
		for i, d := range draws {
			require.Equal(t, d, int64(r.Next()>>40), "stream %q draw %d", s, i)
		}
	}
	for _, w := range vec.Weight {
		layer, v, _ := strings.Cut(w.Seed, "/")
		vals, ok := Variable(layer, v, w.Shape, w.FanIn)
		require.True(t, ok, w.Seed)
		for i, h := range w.Hex {
			bits, err := strconv.ParseUint(h, 16, 32)
			require.NoError(t, err)
			require.Equal(t, uint32(bits), math.Float32bits(vals[i]), "%s[%d]", w.Seed, i)
		}
	}
}

// Every variable of every golden model, by sha256 of its float32 bytes.
func TestWeightsSHA256(t *testing.T) {
	raw, err := os.ReadFile(testenv.Shared(t, "golden", "weights_sha256.json"))
	require.NoError(t, err)
	var sums map[string]struct {
		SHA   string `json:"sha256"`
		Shape []int  `json:"shape"`
	}
	require.NoError(t, json.Unmarshal(raw, &sums))
	require.NotEmpty(t, sums)
	for key, want := range sums {
		name, _, _ := strings.Cut(key, " ")
		name = strings.TrimSuffix(name, ":0")
		i := strings.LastIndex(name, "/")
		layer, v := name[:i], name[i+1:]
		vals, ok := Variable(layer, v, want.Shape, FanIn(v, want.Shape))
		require.True(t, ok, key)
		h := sha256.New()
		buf := make([]byte, 4)
		for _, f := range vals {
			binary.LittleEndian.PutUint32(buf, math.Float32bits(f))
			h.Write(buf)
		}
		require.Equal(t, want.SHA, hex.EncodeToString(h.Sum(nil)), key)
	}
}

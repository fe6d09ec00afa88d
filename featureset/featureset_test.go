package featureset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/npy"
	"github.com/stretchr/testify/require"
)

// WriteDir then Load gives back every row's features, in
// flow_from_directory's order whatever order they were written in.
func TestWriteLoad(t *testing.T) {
	dir := t.TempDir()
	paths := []string{"d/red/b.png", "d/blue/b.png", "d/red/a.png", "d/blue/z.png", "d/blue/a.png"}
	shape := []int{2, 1, 3}
	x := make([]float32, len(paths)*6)
	for i := range x {
		x[i] = float32(i) / 7
	}
	m, err := WriteDir(dir, "mobilenet", shape, paths, x, 2)
	require.NoError(t, err)
	require.Equal(t, []string{"blue", "red"}, m.Classes)
	require.Len(t, m.Shards, 3)
	s, err := Load(dir)
	require.NoError(t, err)
	require.Equal(t, "mobilenet", s.Model)
	require.Equal(t, shape, s.FeatureShape)
	// flow_from_directory's order: class, then file name.
	want := []string{"d/blue/a.png", "d/blue/b.png", "d/blue/z.png", "d/red/a.png", "d/red/b.png"}
	require.Equal(t, want, s.Paths())
	require.Equal(t, []int{0, 0, 0, 1, 1}, s.Labels)
	for k, p := range want {
		i := 0
		for paths[i] != p {
			i++
		}
		require.Equal(t, x[i*6:(i+1)*6], s.X[k*6:(k+1)*6], p)
	}
}

func TestClassOf(t *testing.T) {
	for _, c := range []struct{ path, class string }{
		{"data/cat/1.jpg", "cat"}, {"gs://bucket/imgs/dog/2.png", "dog"}, {"/abs/x/y.png", "x"}, {"y.png", ""}, {"/y.png", ""},
	} {
		require.Equal(t, c.class, ClassOf(c.path), c.path)
	}
}

// A shard name depends only on the images it holds.
func TestShardName(t *testing.T) {
	require.Equal(t, ShardName([]string{"a", "b"}), ShardName([]string{"a", "b"}))
	require.NotEqual(t, ShardName([]string{"a", "b"}), ShardName([]string{"ab"}))
	require.True(t, strings.HasPrefix(ShardName(nil), "shard-"))
}

// Hostile manifests and shards: each an error naming the file and the
// place, never a panic.
func TestHostile(t *testing.T) {
	good := `{"model": "m", "feature_shape": [2], "classes": ["a"], "shards": ["s.npy"], "rows": [{"path": "d/a/1.png", "class": "a", "shard": "s.npy", "index": 0}]}`
	for _, c := range []struct {
		name, manifest string
		shard          []byte // nil: a (1, 2) shard
		want           string // after "featureset: DIR/manifest.json: " (or the shard's path)
	}{
		{"syntax", "{\n \"model\": ,}", nil, "line 2, column 11: invalid character ','"},
		{"type", `{"model": "m", "feature_shape": "2"}`, nil, `line 1, column 35: field "feature_shape": string where []int was expected`},
		{"unknown", `{"modle": "m"}`, nil, `json: unknown field "modle"`},
		{"empty", ``, nil, "empty file"},
		{"early", `{"model": "m"`, nil, "the JSON ends early"},
		{"trailing", good + ` {}`, nil, "data after the manifest's object"},
		{"missing", `{"model": "m", "feature_shape": [2], "classes": ["a"], "shards": ["s.npy"]}`, nil, `"rows" is missing or empty`},
		{"dim", strings.Replace(good, "[2]", "[2, 0]", 1), nil, "feature_shape[1] is 0: dimensions must be positive"},
		{"huge", strings.Replace(good, "[2]", "[65536, 65536, 65536]", 1), nil, "more than 268435456 values per image"},
		{"class", strings.Replace(good, `"class": "a"`, `"class": "b"`, 1), nil, `rows[0] (d/a/1.png): class "b" is not in classes`},
		{"shard", strings.Replace(good, `"shard": "s.npy"`, `"shard": "t.npy"`, 1), nil, `rows[0] (d/a/1.png): shard "t.npy" is not in shards`},
		{"escape", strings.ReplaceAll(good, `s.npy`, `../s.npy`), nil, `shards[0] "../s.npy" is not a file name in the folder`},
		{"negative", strings.Replace(good, `"index": 0`, `"index": -1`, 1), nil, "rows[0] (d/a/1.png): index -1 is negative"},
		{"twice", strings.Replace(good, `}]}`, `}, {"path": "d/a/1.png", "class": "a", "shard": "s.npy", "index": 1}]}`, 1), nil, "rows[1]: image d/a/1.png is rows[0] too"},
		{"place", strings.Replace(good, `}]}`, `}, {"path": "d/a/2.png", "class": "a", "shard": "s.npy", "index": 0}]}`, 1), nil, "rows[1] (d/a/2.png): row 0 of s.npy is rows[0]'s too"},
		{"no rows", strings.Replace(good, `[{"path": "d/a/1.png", "class": "a", "shard": "s.npy", "index": 0}]`, `[]`, 1), nil, "no rows"},
		{"beyond", strings.Replace(good, `"index": 0`, `"index": 1`, 1), nil, "rows[0] (d/a/1.png) is row 1 of s.npy, which has 1 rows"},
		{"shape", good, npyOf(t, []int{1, 3}), "shape [1 3], the manifest's feature_shape [2] wants (rows, 2)"},
		{"npy", good, []byte("\x93NUMPY\x01"), "unexpected EOF"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestName), []byte(c.manifest), 0o644))
			shard := c.shard
			if shard == nil {
				shard = npyOf(t, []int{1, 2})
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, "s.npy"), shard, 0o644))
			_, err := Load(dir)
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "featureset: "), err.Error())
			require.Contains(t, err.Error(), dir, "names the file")
			require.Contains(t, err.Error(), c.want)
		})
	}
	_, err := Load(t.TempDir())
	require.ErrorContains(t, err, "manifest.json: no such file")
}

func npyOf(t *testing.T, shape []int) []byte {
	n := 1
	for _, d := range shape {
		n *= d
	}
	var b bytes.Buffer
	require.NoError(t, npy.Encode(&b, shape, make([]float32, n)))
	return b.Bytes()
}

// FuzzDecodeManifest: any bytes give a checked manifest or an error naming
// the file, never a panic; a manifest that decodes encodes and decodes to
// the same.
func FuzzDecodeManifest(f *testing.F) {
	f.Add([]byte(`{"model": "m", "feature_shape": [2], "classes": ["a"], "shards": ["s.npy"], "rows": [{"path": "d/a/1.png", "class": "a", "shard": "s.npy", "index": 0}]}`))
	f.Add([]byte(`{"model": "m", "feature_shape": [7, 7, 256], "classes": [], "shards": [], "rows": []}`))
	f.Add([]byte(`{"model": "m", "feature_shape": [1e9]}`))
	f.Add([]byte(`[1, 2`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(bytes.NewReader(b), "f.json")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "featureset: f.json: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		var out bytes.Buffer
		if err := m.Encode(&out); err != nil {
			t.Fatal(err)
		}
		m2, err := DecodeManifest(&out, "again.json")
		if err != nil {
			t.Fatalf("re-encoded manifest: %v", err)
		}
		if len(m2.Rows) != len(m.Rows) || len(m2.Shards) != len(m.Shards) {
			t.Fatalf("round trip changed the manifest")
		}
	})
}

package hdf5_test

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/weightsio/hdf5"
)

// expectedFile is what h5py found in one file (realh5/expected/<file>.json).
type expectedFile struct {
	File     string                    `json:"file"`
	Attrs    map[string]map[string]any `json:"attrs"`
	Groups   []string                  `json:"groups"`
	Datasets []expectedDataset         `json:"datasets"`
}

type expectedDataset struct {
	Path        string  `json:"path"`
	Shape       []int   `json:"shape"`
	Dtype       string  `json:"dtype"`
	Layout      int     `json:"layout"`
	Compression *string `json:"compression"`
	SHA256F32   string  `json:"sha256_f32le"`
	SHA256Raw   string  `json:"sha256_raw_le"`
}

// TestRealFiles compares every real Keras file in ../shared/realh5 with what
// h5py found in it.
func TestRealFiles(t *testing.T) {
	root := testenv.Shared(t, "realh5")
	n := compareDir(t, root, filepath.Join(root, "expected"))
	if n < 154 {
		t.Fatalf("checked %d files, want the 154 of realh5", n)
	}
}

// TestTestdataFiles does the same for the copies in testdata/h5, so make
// test covers them without ../shared.
func TestTestdataFiles(t *testing.T) {
	dir := testenv.Testdata(t, "h5")
	if n := compareDir(t, dir, filepath.Join(dir, "expected")); n < 8 {
		t.Fatalf("checked %d files, want 8", n)
	}
}

// TestSyntheticFiles checks the files make_testfiles.py wrote with h5py:
// every datatype, byte order and layout the reader converts, attributes of
// every kind, links that alias and loop, and the newer layouts (dense groups
// and attributes, every chunk index, every filter).
func TestSyntheticFiles(t *testing.T) {
	dir := testenv.Testdata(t, "h5", "synthetic")
	if n := compareDir(t, dir, filepath.Join(dir, "expected")); n < 4 {
		t.Fatalf("checked %d files, want at least 4", n)
	}
}

// compareDir checks each file of dataDir that has an expected JSON.
func compareDir(t *testing.T, dataDir, expDir string) int {
	var files []string
	err := filepath.Walk(expDir, func(p string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range files {
		rel, _ := filepath.Rel(expDir, p)
		rel = strings.TrimSuffix(rel, ".json")
		n++
		t.Run(rel, func(t *testing.T) {
			raw, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstExpected(t, filepath.Join(dataDir, rel), raw)
		})
	}
	return n
}

// checkAgainstExpected compares one file (or, for a .keras archive, each HDF5
// member) with its expected JSON.
func checkAgainstExpected(t *testing.T, path string, raw []byte) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["datasets"]; ok {
		var exp expectedFile
		if err := json.Unmarshal(raw, &exp); err != nil {
			t.Fatal(err)
		}
		f, err := hdf5.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		compareFile(t, f, &exp)
		return
	}
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	members := 0
	for key, val := range top {
		member, ok := strings.CutPrefix(key, "h5:")
		if !ok {
			continue
		}
		members++
		var exp expectedFile
		if err := json.Unmarshal(val, &exp); err != nil {
			t.Fatal(err)
		}
		zf, err := z.Open(member)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(zf)
		if err != nil {
			t.Fatal(err)
		}
		f, err := hdf5.NewFile(readerAt(b), int64(len(b)), path+"/"+member)
		if err != nil {
			t.Fatal(err)
		}
		compareFile(t, f, &exp)
	}
	if members == 0 {
		t.Fatal("expected JSON names no HDF5 member")
	}
}

type readerAt []byte

func (r readerAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(r)) {
		return 0, io.EOF
	}
	n := copy(p, r[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func compareFile(t *testing.T, f *hdf5.File, exp *expectedFile) {
	t.Helper()
	var groups []string
	datasets := map[string]*hdf5.Dataset{}
	attrs := map[string]map[string]any{}
	collect := func(obj hdf5.Object) {
		as, err := obj.Attrs()
		if err != nil {
			t.Errorf("%v", err)
			return
		}
		if len(as) == 0 {
			return
		}
		m := map[string]any{}
		for _, a := range as {
			v, err := a.Value()
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			m[a.Name] = normalize(v)
		}
		attrs[obj.Path()] = m
	}
	rootGroup, err := f.Root()
	if err != nil {
		t.Fatal(err)
	}
	collect(rootGroup)
	err = f.Walk(func(obj hdf5.Object) error {
		collect(obj)
		switch o := obj.(type) {
		case *hdf5.Group:
			groups = append(groups, o.Path())
		case *hdf5.Dataset:
			datasets[o.Path()] = o
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(groups)
	want := append([]string(nil), exp.Groups...)
	sort.Strings(want)
	if !reflect.DeepEqual(groups, want) && !(len(groups) == 0 && len(want) == 0) {
		t.Errorf("groups:\n got %v\nwant %v", groups, want)
	}
	if len(datasets) != len(exp.Datasets) {
		t.Errorf("found %d datasets, want %d", len(datasets), len(exp.Datasets))
	}
	for _, e := range exp.Datasets {
		d, ok := datasets[e.Path]
		if !ok {
			t.Errorf("dataset %s missing", e.Path)
			continue
		}
		if !reflect.DeepEqual(d.Shape, e.Shape) && !(len(d.Shape) == 0 && len(e.Shape) == 0) {
			t.Errorf("%s: shape %v, want %v", e.Path, d.Shape, e.Shape)
		}
		if d.Type.Name() != e.Dtype {
			t.Errorf("%s: dtype %s, want %s", e.Path, d.Type.Name(), e.Dtype)
		}
		if e.SHA256F32 != "" {
			v, err := d.ReadFloat32()
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			if got := sum(hdf5.Float32LE(v)); got != e.SHA256F32 {
				t.Errorf("%s: sha256_f32le %s, want %s", e.Path, got, e.SHA256F32)
			}
		}
		if e.SHA256Raw != "" {
			b, err := d.ReadRawLE()
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			if got := sum(b); got != e.SHA256Raw {
				t.Errorf("%s: sha256_raw_le %s, want %s", e.Path, got, e.SHA256Raw)
			}
		}
	}
	wantAttrs := map[string]map[string]any{}
	for p, m := range exp.Attrs {
		if len(m) > 0 {
			wantAttrs[p] = m
		}
	}
	for p, m := range wantAttrs {
		if !reflect.DeepEqual(attrs[p], m) {
			t.Errorf("attributes of %s:\n got %s\nwant %s", p, short(attrs[p]), short(m))
		}
	}
	for p := range attrs {
		if _, ok := wantAttrs[p]; !ok {
			t.Errorf("unexpected attributes on %s: %s", p, short(attrs[p]))
		}
	}
}

// normalize turns a decoded attribute into what encoding/json gives for the
// expected file: strings, []any of strings or float64.
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

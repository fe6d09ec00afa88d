package featureset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keelml/keel/internal/npy"
)

// ManifestName is the manifest's file name in a feature folder.
const ManifestName = "manifest.json"

// Row is one image: its file, its class (its folder's name), and where its
// features are: row Index of the shard file Shard (a name in the folder).
type Row struct {
	Path  string `json:"path"`
	Class string `json:"class"`
	Shard string `json:"shard"`
	Index int    `json:"index"`
}

// Manifest describes a feature folder. Its JSON field names are the file's.
type Manifest struct {
	Model        string   `json:"model"`
	FeatureShape []int    `json:"feature_shape"`
	Classes      []string `json:"classes"`
	Shards       []string `json:"shards"`
	Rows         []Row    `json:"rows"`
}

// maxFeatures bounds the values of one row (1 GB of float32), maxManifest
// the manifest file: a corrupt header must be an error, not an exhausted
// machine.
const (
	maxFeatures = 1 << 28
	maxManifest = 1 << 30
)

// ClassOf is the class of an image: the name of the folder holding it. Both
// slash and the OS separator count, so that gs://bucket/cat/1.jpg is a cat.
func ClassOf(p string) string {
	p = filepath.ToSlash(p)
	dir := path.Dir(p)
	if dir == "." || dir == "/" {
		return ""
	}
	return path.Base(dir)
}

// ShardName is the file name of the shard holding the images at paths: a
// hash of the paths, so that writing the same batch again (a retried bundle)
// replaces the same file rather than leaving a second one.
func ShardName(paths []string) string {
	h := sha256.New()
	for _, p := range paths {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "shard-" + hex.EncodeToString(h.Sum(nil)[:10]) + ".npy"
}

// EncodeShard writes n rows of features (each of featureShape) as a float32
// .npy array of shape (n, featureShape...).
func EncodeShard(w io.Writer, featureShape []int, n int, data []float32) error {
	return npy.Encode(w, append([]int{n}, featureShape...), data)
}

// NewManifest makes the manifest of rows: classes and shards are the sorted
// distinct names the rows use, the rows sorted as Load returns them.
func NewManifest(model string, featureShape []int, rows []Row) (*Manifest, error) {
	m := &Manifest{Model: model, FeatureShape: slices.Clone(featureShape), Classes: []string{}, Shards: []string{}, Rows: slices.Clone(rows)}
	for _, r := range rows {
		m.Classes = append(m.Classes, r.Class)
		m.Shards = append(m.Shards, r.Shard)
	}
	slices.Sort(m.Classes)
	m.Classes = slices.Compact(m.Classes)
	slices.Sort(m.Shards)
	m.Shards = slices.Compact(m.Shards)
	if m.Rows == nil {
		m.Rows = []Row{}
	}
	sortRows(m.Rows, m.Classes)
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}

// sortRows orders rows as flow_from_directory lists images: by class index,
// then by folder, then by file name.
func sortRows(rows []Row, classes []string) { sortBy(rows, func(r Row) Row { return r }, classes) }

// sortBy sorts s by the rows row gives for its elements, in sortRows' order.
func sortBy[T any](s []T, row func(T) Row, classes []string) {
	index := make(map[string]int, len(classes))
	for i, c := range classes {
		index[c] = i
	}
	slices.SortStableFunc(s, func(x, y T) int {
		a, b := row(x), row(y)
		if c := index[a.Class] - index[b.Class]; c != 0 {
			return c
		}
		pa, pb := filepath.ToSlash(a.Path), filepath.ToSlash(b.Path)
		if c := strings.Compare(path.Dir(pa), path.Dir(pb)); c != 0 {
			return c
		}
		return strings.Compare(path.Base(pa), path.Base(pb))
	})
}

// Check says whether the manifest is consistent by itself: a feature shape
// of positive dimensions, distinct classes and shards, shard names that are
// plain file names, and rows with a known class and shard, a non-negative
// index, and no image or (shard, index) given twice. Shard lengths are
// checked by Load.
func (m *Manifest) Check() error {
	if len(m.FeatureShape) == 0 {
		return errors.New("feature_shape is empty")
	}
	size := 1
	for i, d := range m.FeatureShape {
		if d <= 0 {
			return fmt.Errorf("feature_shape[%d] is %d: dimensions must be positive", i, d)
		}
		if size > maxFeatures/d {
			return fmt.Errorf("feature_shape %v: more than %d values per image", m.FeatureShape, maxFeatures)
		}
		size *= d
	}
	classes := make(map[string]bool, len(m.Classes))
	for i, c := range m.Classes {
		if classes[c] {
			return fmt.Errorf("classes[%d] %q is listed twice", i, c)
		}
		classes[c] = true
	}
	shards := make(map[string]bool, len(m.Shards))
	for i, s := range m.Shards {
		switch {
		case shards[s]:
			return fmt.Errorf("shards[%d] %q is listed twice", i, s)
		case s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\`) || s == ManifestName:
			return fmt.Errorf("shards[%d] %q is not a file name in the folder", i, s)
		}
		shards[s] = true
	}
	type place struct {
		shard string
		index int
	}
	paths := make(map[string]int, len(m.Rows))
	places := make(map[place]int, len(m.Rows))
	for i, r := range m.Rows {
		switch {
		case !classes[r.Class]:
			return fmt.Errorf("rows[%d] (%s): class %q is not in classes", i, r.Path, r.Class)
		case !shards[r.Shard]:
			return fmt.Errorf("rows[%d] (%s): shard %q is not in shards", i, r.Path, r.Shard)
		case r.Index < 0:
			return fmt.Errorf("rows[%d] (%s): index %d is negative", i, r.Path, r.Index)
		}
		if j, dup := paths[r.Path]; dup {
			return fmt.Errorf("rows[%d]: image %s is rows[%d] too", i, r.Path, j)
		}
		paths[r.Path] = i
		p := place{r.Shard, r.Index}
		if j, dup := places[p]; dup {
			return fmt.Errorf("rows[%d] (%s): row %d of %s is rows[%d]'s too", i, r.Path, r.Index, r.Shard, j)
		}
		places[p] = i
	}
	return nil
}

// Encode writes the manifest as indented JSON.
func (m *Manifest) Encode(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(m)
}

// DecodeManifest reads and checks a manifest; name (the file) starts its
// errors, with the line and column of a JSON error.
func DecodeManifest(r io.Reader, name string) (*Manifest, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxManifest+1))
	if err != nil {
		return nil, fmt.Errorf("featureset: %s: %w", name, err)
	}
	if len(b) > maxManifest {
		return nil, fmt.Errorf("featureset: %s: larger than %d bytes", name, maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("featureset: %s: %s", name, jsonError(b, dec, err))
	}
	if dec.More() {
		return nil, fmt.Errorf("featureset: %s: %s: data after the manifest's object", name, lineCol(b, dec.InputOffset()))
	}
	for _, f := range []struct {
		name string
		null bool
	}{{"model", m.Model == ""}, {"feature_shape", m.FeatureShape == nil}, {"classes", m.Classes == nil}, {"shards", m.Shards == nil}, {"rows", m.Rows == nil}} {
		if f.null {
			return nil, fmt.Errorf("featureset: %s: %q is missing or empty", name, f.name)
		}
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("featureset: %s: %w", name, err)
	}
	return &m, nil
}

// jsonError names where in b a decoding error is.
func jsonError(b []byte, dec *json.Decoder, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("%s: %v", lineCol(b, syn.Offset-1), err) // the offset is past the bad byte
	case errors.As(err, &typ):
		return fmt.Sprintf("%s: field %q: %s where %s was expected", lineCol(b, typ.Offset-1), typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.EOF):
		return "empty file"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends early"
	}
	return fmt.Sprintf("%s: %v", lineCol(b, dec.InputOffset()), err)
}

// lineCol is "line L, column C" of byte offset off of b.
func lineCol(b []byte, off int64) string {
	off = min(max(off, 0), int64(len(b)))
	line := 1 + bytes.Count(b[:off], []byte("\n"))
	col := off - int64(bytes.LastIndexByte(b[:off], '\n'))
	return fmt.Sprintf("line %d, column %d", line, col)
}

// Set is a feature folder loaded: the rows in flow_from_directory's order,
// X holding each row's features (len(Rows) x the feature shape), Labels
// each row's class index in Manifest.Classes.
type Set struct {
	Manifest
	X      []float32
	Labels []int
}

// Paths are the rows' image files, in order.
func (s *Set) Paths() []string {
	out := make([]string, len(s.Rows))
	for i, r := range s.Rows {
		out[i] = r.Path
	}
	return out
}

// Load reads the feature folder dir: its manifest, then every shard, each
// checked to be float32 of shape (rows, feature_shape...) with every row
// the manifest names inside it.
func Load(dir string) (*Set, error) {
	name := filepath.Join(dir, ManifestName)
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("featureset: %w", err)
	}
	m, err := DecodeManifest(f, name)
	f.Close()
	if err != nil {
		return nil, err
	}
	if len(m.Rows) == 0 {
		return nil, fmt.Errorf("featureset: %s: no rows", name)
	}
	per := 1
	for _, d := range m.FeatureShape {
		per *= d
	}
	byShard := map[string][]int{}
	for i, r := range m.Rows {
		byShard[r.Shard] = append(byShard[r.Shard], i)
	}
	// Each row's features point into its shard until all are checked: X is
	// allocated only then, for rows that the files hold, never for what a
	// manifest alone claims.
	feats := make([][]float32, len(m.Rows))
	for _, shard := range m.Shards {
		rows := byShard[shard]
		if len(rows) == 0 {
			continue // listed, unused: no need to read it
		}
		p := filepath.Join(dir, shard)
		shape, data, err := npy.Read(p)
		if err != nil {
			return nil, fmt.Errorf("featureset: %w", err)
		}
		if len(shape) != 1+len(m.FeatureShape) || !slices.Equal(shape[1:], m.FeatureShape) {
			return nil, fmt.Errorf("featureset: %s: shape %v, the manifest's feature_shape %v wants (rows, %s)", p, shape, m.FeatureShape, strings.Trim(fmt.Sprint(m.FeatureShape), "[]"))
		}
		for _, i := range rows {
			r := m.Rows[i]
			if r.Index >= shape[0] {
				return nil, fmt.Errorf("featureset: %s: rows[%d] (%s) is row %d of %s, which has %d rows", name, i, r.Path, r.Index, shard, shape[0])
			}
			feats[i] = data[r.Index*per : (r.Index+1)*per]
		}
	}
	class := map[string]int{}
	for i, c := range m.Classes {
		class[c] = i
	}
	// Errors above name rows by their place in the file; the Set has them in
	// flow_from_directory's order.
	order := make([]int, len(m.Rows))
	for i := range order {
		order[i] = i
	}
	sortBy(order, func(i int) Row { return m.Rows[i] }, m.Classes)
	s := &Set{Manifest: *m, X: make([]float32, len(m.Rows)*per), Labels: make([]int, len(m.Rows))}
	s.Rows = make([]Row, len(m.Rows))
	for k, i := range order {
		s.Rows[k] = m.Rows[i]
		copy(s.X[k*per:], feats[i])
		s.Labels[k] = class[m.Rows[i].Class]
	}
	return s, nil
}

// WriteDir writes features held in memory as a feature folder: x holds one
// row per path (each of featureShape), the class of each its folder's name,
// in shards of at most perShard rows. dir is created if needed.
func WriteDir(dir, model string, featureShape []int, paths []string, x []float32, perShard int) (*Manifest, error) {
	per := 1
	for _, d := range featureShape {
		per *= d
	}
	if len(x) != len(paths)*per {
		return nil, fmt.Errorf("featureset: %d paths of %v features, %d values", len(paths), featureShape, len(x))
	}
	if perShard < 1 {
		perShard = len(paths)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("featureset: %w", err)
	}
	var rows []Row
	for lo := 0; lo < len(paths); lo += perShard {
		hi := min(len(paths), lo+perShard)
		shard := ShardName(paths[lo:hi])
		var b bytes.Buffer
		if err := EncodeShard(&b, featureShape, hi-lo, x[lo*per:hi*per]); err != nil {
			return nil, fmt.Errorf("featureset: %s: %w", shard, err)
		}
		if err := os.WriteFile(filepath.Join(dir, shard), b.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("featureset: %w", err)
		}
		for i := lo; i < hi; i++ {
			rows = append(rows, Row{Path: paths[i], Class: ClassOf(paths[i]), Shard: shard, Index: i - lo})
		}
	}
	m, err := NewManifest(model, featureShape, rows)
	if err != nil {
		return nil, fmt.Errorf("featureset: %w", err)
	}
	var b bytes.Buffer
	if err := m.Encode(&b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestName), b.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("featureset: %w", err)
	}
	return m, nil
}

package modelfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/keelml/keel/internal/hostile"
	"github.com/keelml/keel/internal/testenv"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/weightsio"
)

// FuzzLoadBytes loads arbitrary bytes as a full-model file, seeded with
// small models Keel saves and hostile ones: never a panic, and no input
// allocating more than hostile.FuzzAlloc.
func FuzzLoadBytes(f *testing.F) {
	dir := f.TempDir()
	seeds := []string{testenv.Testdata(f, "h5", "keras-attention.h5")}
	for _, c := range []struct {
		name    string
		filters int
	}{{"ok.h5", 4}, {"hostile.h5", 100_000_000}} {
		p, err := hostile.ConvModelH5(dir, c.name, c.filters)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, p)
	}
	p, err := hostile.ModelH5(dir, "dense.h5", hostile.SequentialConfig(2, 2, 1,
		`{"class_name": "Flatten", "config": {}}`, `{"class_name": "Dense", "config": {"name": "d", "units": 2}}`),
		[]weightsio.SavedLayer{{Name: "d", Weights: []weightsio.SavedWeight{
			{Name: "d/kernel:0", Shape: []int{4, 2}, Data: make([]float32, 8)}, {Name: "d/bias:0", Shape: []int{2}, Data: make([]float32, 2)}}}})
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, p)
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		hostile.CheckAlloc(t, func() { modelfile.LoadBytes(b, filepath.Join("fuzz", "model.h5")) })
	})
}

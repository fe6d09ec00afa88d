// Package golden reads the index of the golden per-layer gradient cases
// (golden/grads/index.json, one folder of .npy files per case) for the
// kernels' and nn's tests.
package golden

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// File is one .npy file of a case, as the index describes it.
type File struct {
	Shape []int `json:"shape"`
}

// Case is one golden gradient case.
type Case struct {
	Op     string          `json:"op"`
	Params map[string]any  `json:"params"`
	Files  map[string]File `json:"files"`
	// Dir is the folder of the case's files.
	Dir string `json:"-"`
}

// Has reports whether the case has the file name (without .npy).
func (c Case) Has(name string) bool { _, ok := c.Files[name]; return ok }

// Cases reads the index in dir, failing t when it cannot.
func Cases(t testing.TB, dir string) map[string]Case {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cs map[string]Case
	if err := json.Unmarshal(b, &cs); err != nil {
		t.Fatal(err)
	}
	for k, c := range cs {
		c.Dir = filepath.Join(dir, k)
		cs[k] = c
	}
	return cs
}

// Names returns the names of cs, sorted.
func Names(cs map[string]Case) []string {
	names := make([]string, 0, len(cs))
	for n := range cs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

package featureset_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/keelml/keel/featureset"
)

// Features of three images, written as a feature folder and read back in
// flow_from_directory's order.
func Example() {
	dir, _ := os.MkdirTemp("", "features")
	defer os.RemoveAll(dir)
	paths := []string{"data/dog/1.jpg", "data/cat/2.jpg", "data/cat/1.jpg"}
	x := []float32{0.1, 0.2, 0.3, 0.4, 0.5, 0.6} // two values per image
	if _, err := featureset.WriteDir(dir, "mobilenet", []int{2}, paths, x, 2); err != nil {
		fmt.Println(err)
		return
	}
	s, err := featureset.Load(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Classes, s.FeatureShape)
	for i, r := range s.Rows {
		fmt.Println(r.Path, r.Class, s.Labels[i], s.X[2*i:2*i+2])
	}
	_, err = os.Stat(filepath.Join(dir, featureset.ManifestName))
	fmt.Println(err == nil)
	// Output:
	// [cat dog] [2]
	// data/cat/1.jpg cat 0 [0.5 0.6]
	// data/cat/2.jpg cat 0 [0.3 0.4]
	// data/dog/1.jpg dog 1 [0.1 0.2]
	// true
}

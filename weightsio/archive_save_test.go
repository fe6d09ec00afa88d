package weightsio

import (
	"archive/zip"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeras3Namer(t *testing.T) {
	var n Keras3Namer
	var got []string
	for _, c := range []string{"Conv2D", "Dense", "Conv2D", "DepthwiseConv2D", "Conv2D", "BatchNormalization", "Functional"} {
		got = append(got, n.Next(c))
	}
	require.Equal(t, []string{"conv2d", "dense", "conv2d_1", "depthwise_conv2d", "conv2d_2", "batch_normalization", "functional"}, got)
}

// An archive SaveArchive writes reads back as Keras 3 lays it out: the
// members in Keras' order, STORED, without data descriptors, the JSON
// members dated 1980 as zipfile dates them; the objects' name attributes
// (UTF-8, as h5py writes a str) and variables in order.
func TestSaveArchive(t *testing.T) {
	saved := time.Date(2026, 2, 15, 12, 14, 44, 0, time.UTC)
	objects := []SavedObject{
		{Path: "", Name: "sequential"},
		{Path: "layers/conv2d", Name: "conv", Vars: []SavedWeight{{Shape: []int{1, 1, 1, 2}, Data: []float32{1, 2}}, {Shape: []int{2}, Data: []float32{3, 4}}}},
		{Path: "layers/flatten", Name: "flat"},
		{Path: "layers/functional", Name: "inner"},
		{Path: "layers/functional/layers/dense", Name: "d", Vars: []SavedWeight{{Shape: []int{2, 1}, Data: []float32{5, 6}}}},
	}
	path := filepath.Join(t.TempDir(), "m.keras")
	config := []byte(`{"module": "keras", "class_name": "Sequential", "config": {}}`)
	require.NoError(t, SaveArchive(path, config, objects, ArchiveOptions{Saved: saved, Attrs: map[string]string{"keel_input_size": "8"}}))

	zr, err := zip.OpenReader(path)
	require.NoError(t, err)
	var names []string
	for _, zf := range zr.File {
		names = append(names, zf.Name)
		require.Equal(t, zip.Store, zf.Method)
		require.Zero(t, zf.Flags&0x8, "%s has no data descriptor", zf.Name)
		wantYear := 1980
		if zf.Name == archiveWeights {
			wantYear = 2026
		}
		require.Equal(t, wantYear, zf.Modified.Year(), zf.Name)
	}
	require.NoError(t, zr.Close())
	require.Equal(t, []string{"metadata.json", "config.json", "model.weights.h5"}, names)

	f, err := Open(path)
	require.NoError(t, err)
	defer f.Close()
	require.Equal(t, FormatArchive, f.Format)
	require.Equal(t, Keras3Version, f.KerasVersion)
	require.Equal(t, "Sequential", f.ModelConfig["class_name"])
	for _, want := range objects {
		obj, err := f.Keras3Object(want.Path)
		require.NoError(t, err)
		require.True(t, obj.Found, want.Path)
		require.Equal(t, want.Name, obj.Name)
		require.Len(t, obj.Vars, len(want.Vars))
		for i, v := range want.Vars {
			got, err := obj.Vars[i].Float32()
			require.NoError(t, err)
			require.Equal(t, v.Data, got)
			require.Equal(t, v.Shape, obj.Vars[i].Shape)
		}
	}
	root, err := f.HDF5().Root()
	require.NoError(t, err)
	vars, err := root.Group("layers/conv2d/vars")
	require.NoError(t, err)
	a, err := vars.Attr("name")
	require.NoError(t, err)
	require.True(t, a.Type.UTF8, "name attributes are UTF-8 strings")
	missing, err := f.Keras3Object("layers/dense")
	require.NoError(t, err)
	require.False(t, missing.Found)
}

func TestSaveArchiveRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name    string
		config  string
		objects []SavedObject
		want    string
	}{
		{"config not JSON", `{"class_name": `, nil, "not JSON"},
		{"object twice", `{}`, []SavedObject{{Path: "layers/dense"}, {Path: "layers/dense"}}, "saved twice"},
		{"data of another shape", `{}`, []SavedObject{{Path: "layers/dense", Vars: []SavedWeight{{Shape: []int{3}, Data: []float32{1}}}}}, "layers/dense/vars/0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := SaveArchive(filepath.Join(dir, "x.keras"), []byte(c.config), c.objects, ArchiveOptions{})
			require.ErrorContains(t, err, c.want)
		})
	}
}

package weightsio

import (
	"github.com/keelml/keel/weightsio/hdf5"
)

// Layer is one Keras layer and its weights in Keras order.
type Layer struct {
	Name string
	// Group is the HDF5 path of the layer's group.
	Group   string
	Weights []Weight
}

// Weight is one variable of a layer.
type Weight struct {
	// Name is Keras' name: "conv1/kernel:0" in legacy files (as listed in
	// weight_names), the path below the layer group ("vars/0") in Keras 3
	// files, which do not store names.
	Name string
	// Path is the dataset's HDF5 path.
	Path  string
	Shape []int
	// Dtype is numpy's name of the stored type (float32, float16, int64, ...).
	Dtype string

	ds *hdf5.Dataset
}

// Len is the number of values.
func (w *Weight) Len() int { return w.ds.Len() }

// Float32 reads the values as float32 in C order, converting other types.
func (w *Weight) Float32() ([]float32, error) { return w.ds.ReadFloat32() }

// ReadFloat32Into reads the values into dst, which must hold Len values.
func (w *Weight) ReadFloat32Into(dst []float32) error { return w.ds.ReadFloat32Into(dst) }

// Dataset is the underlying HDF5 dataset.
func (w *Weight) Dataset() *hdf5.Dataset { return w.ds }

func newWeight(name string, ds *hdf5.Dataset) Weight {
	return Weight{Name: name, Path: ds.Path(), Shape: ds.Shape, Dtype: ds.Type.Name(), ds: ds}
}

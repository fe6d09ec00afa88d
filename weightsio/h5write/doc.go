// Package h5write writes HDF5 files of the kind Keras writes: superblock
// version 0, version-1 object headers, groups stored as symbol tables (v1
// B-tree, local heap, symbol nodes), contiguous float32 datasets, and the
// attribute types Keras uses (scalar variable-length strings, 1-D
// fixed-length string arrays, empty float64 arrays). The files read back in
// h5py and libhdf5 as if h5py had written them with its default settings.
//
// Build the tree with New, Group, Dataset and the Set... attribute methods,
// then Save writes it atomically: to a temporary file in the same directory,
// renamed into place only when complete.
package h5write

// Package hdf5 reads the part of the HDF5 file format (specification version
// 3.0) that Keras weight files use, in pure Go: superblocks version 0 and 1,
// version-1 object headers with continuation blocks, groups stored as symbol
// tables (version-1 B-tree, local heap, symbol nodes), contiguous and compact
// datasets, IEEE floats of 16, 32 and 64 bits in either byte order, integers,
// fixed- and variable-length strings (global heap), and attributes holding
// scalars or arrays of those.
//
// The reader treats the file as hostile: every address and size read from it
// is checked against the file's length before it is used, B-tree and
// continuation chains are guarded against cycles and depth, and every error
// names the file, the object path and what was wrong. Nothing is read until it
// is asked for; a dataset's values are read straight into the caller's float32
// slice.
//
// Open a file with Open (a path) or NewFile (an io.ReaderAt), then walk it from
// File.Root or with File.Walk.
package hdf5

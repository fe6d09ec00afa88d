// Package hdf5 reads HDF5 files (specification version 3.0) in pure Go, as
// far as Keras weight files and their h5repack'd or compressed copies need:
//
//   - superblocks 0 to 3; object headers version 1 and 2 (OHDR) with their
//     continuation blocks;
//   - groups as symbol tables (v1 B-tree, local heap, symbol nodes), as link
//     messages, and in dense storage (fractal heap indexed by a v2 B-tree);
//     attributes in the header or in dense storage;
//   - contiguous, compact and chunked datasets: v1 B-tree chunk index, and the
//     single-chunk, implicit, fixed-array, extensible-array and v2 B-tree
//     indexes, with the deflate, shuffle and fletcher32 filters;
//   - IEEE floats of 16, 32 and 64 bits in either byte order (read as
//     float32, rounding to nearest even), integers, enums, fixed- and
//     variable-length strings (global heap), scalars and arrays of those.
//
// The reader treats the file as hostile: every address and size read from it
// is checked against the file's length before it is used; B-tree, heap and
// continuation chains are guarded against cycles and depth; a dataset may not
// allocate more than File.MaxDataBytes, and decompression stops at the
// declared chunk size. Every error is an *Error naming the file, the object
// path and what was wrong. Nothing is read until it is asked for, and
// little-endian float32 data is read straight into the caller's slice.
//
// Open a file with Open (a path) or NewFile (an io.ReaderAt), then walk it from
// File.Root or with File.Walk.
package hdf5

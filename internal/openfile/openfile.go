// Package openfile opens a file for a reader that takes an io.ReaderAt and
// its size, as weightsio's and hdf5's Open do.
package openfile

import (
	"fmt"
	"io"
	"os"
)

// Open opens path and reads it with read (given the file, its size and path
// for errors). When read fails the file is closed; otherwise keep is given
// what read made and the file, to be closed with it.
func Open[T any](path string, read func(r io.ReaderAt, size int64, name string) (T, error), keep func(T, io.Closer)) (T, error) {
	var zero T
	fh, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return zero, err
	}
	if st.IsDir() {
		// Reading would fail with "read PATH: is a directory", which the
		// callers' "PATH: ..." would then name twice.
		fh.Close()
		return zero, fmt.Errorf("%s: is a directory, not a file", path)
	}
	v, err := read(fh, st.Size(), path)
	if err != nil {
		fh.Close()
		return zero, err
	}
	keep(v, fh)
	return v, nil
}

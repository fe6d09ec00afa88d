package hdf5

import (
	"errors"
	"fmt"
)

// ErrNotFound is wrapped by lookups of links and attributes that do not exist.
var ErrNotFound = errors.New("not found")

// ErrUnsupported is wrapped by errors about valid HDF5 features this reader
// does not implement (yet), as opposed to damaged files.
var ErrUnsupported = errors.New("not supported")

// Error is every error the package returns about a file's content: which file,
// which object inside it, and what was wrong.
type Error struct {
	File string // the path given to Open, or the name given to NewFile
	Path string // the HDF5 object path ("/" for the root); empty for the superblock
	Err  error
}

func (e *Error) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.File, e.Path, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// errf builds the inner error of an Error.
func errf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// unsupportedf marks a valid but unimplemented feature.
func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%s %w yet", fmt.Sprintf(format, args...), ErrUnsupported)
}

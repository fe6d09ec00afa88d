package imagedata

import (
	"errors"
	"io/fs"
)

// FileError is a file that could not be read or decoded: corrupt, truncated,
// unreadable, or of an unknown format.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// fileError wraps err with path, without repeating a path the error already
// names (os.ReadFile's *fs.PathError).
func fileError(path string, err error) *FileError {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = errors.New(pe.Op + ": " + pe.Err.Error())
	}
	return &FileError{Path: path, Err: err}
}

// ErrorPolicy is what a Loader does with a FileError.
type ErrorPolicy int

const (
	// FailOnError ends the epoch with the first FileError (Keras' behaviour).
	FailOnError ErrorPolicy = iota
	// SkipOnError leaves the image out of its batch, counts it, and reports it
	// through Epoch.Skipped.
	SkipOnError
)

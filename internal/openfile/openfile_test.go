package openfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	var kept io.Closer
	got, err := Open(path, func(r io.ReaderAt, size int64, name string) (string, error) {
		b := make([]byte, size)
		_, err := r.ReadAt(b, 0)
		return name + ":" + string(b), err
	}, func(_ string, c io.Closer) { kept = c })
	if err != nil || got != path+":hello" || kept == nil {
		t.Fatalf("Open = %q, %v (closer %v)", got, err, kept)
	}
	if err := kept.Close(); err != nil {
		t.Errorf("closing the kept file: %v", err)
	}

	bad := errors.New("bad")
	var r io.ReaderAt
	_, err = Open(path, func(ra io.ReaderAt, _ int64, _ string) (int, error) { r = ra; return 0, bad },
		func(int, io.Closer) { t.Error("keep called after a failed read") })
	if !errors.Is(err, bad) {
		t.Errorf("failed read: %v", err)
	}
	if _, err := r.ReadAt(make([]byte, 1), 0); err == nil {
		t.Error("the file of a failed read is still open")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing"), func(io.ReaderAt, int64, string) (int, error) { return 0, nil },
		func(int, io.Closer) {}); err == nil {
		t.Error("no error for a missing file")
	}
}

// A folder is refused by name, once.
func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, func(r io.ReaderAt, size int64, name string) (int, error) { return 0, nil }, func(int, io.Closer) {})
	if err == nil || err.Error() != dir+": is a directory, not a file" {
		t.Fatalf("got %v", err)
	}
}

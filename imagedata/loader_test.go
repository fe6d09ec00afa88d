package imagedata

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// writeDataset writes n small PNGs per class, each a flat colour that encodes
// its class and number, and returns the folder.
func writeDataset(t *testing.T, classes []string, n int) string {
	dir := t.TempDir()
	for ci, c := range classes {
		for i := range n {
			m := image.NewNRGBA(image.Rect(0, 0, 6+i%3, 5))
			for p := 0; p < len(m.Pix); p += 4 {
				copy(m.Pix[p:], []uint8{uint8(ci * 50), uint8(i), 7, 255})
			}
			writeFile(t, filepath.Join(dir, c, fmt.Sprintf("%03d.png", i)), encode(t, "png", m))
		}
	}
	return dir
}

func collect(t *testing.T, ld *Loader, epoch int) (xs [][]float32, ys [][]float32, paths []string) {
	t.Helper()
	ep := ld.Epoch(context.Background(), epoch)
	defer ep.Close()
	for {
		b, err := ep.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		xs = append(xs, slices.Clone(b.X[:b.N*b.H*b.W*b.C]))
		ys = append(ys, slices.Clone(b.Y))
		paths = append(paths, b.Paths...)
	}
}

func TestLoaderLabels(t *testing.T) {
	dir := writeDataset(t, []string{"a", "b"}, 3)
	list, err := ListDirectory(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode LabelMode
		want []float32
	}{
		{Categorical, []float32{1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1}},
		{Sparse, []float32{0, 0, 0, 1, 1, 1}},
		{Binary, []float32{0, 0, 0, 1, 1, 1}},
		{NoLabels, nil},
	} {
		ld, err := NewLoader(list, Options{Height: 4, Width: 4, BatchSize: 6, Labels: c.mode})
		if err != nil {
			t.Fatal(err)
		}
		_, ys, _ := collect(t, ld, 0)
		if len(ys) != 1 || !slices.Equal(ys[0], c.want) && !(len(c.want) == 0 && len(ys[0]) == 0) {
			t.Errorf("mode %d: %v, want %v", c.mode, ys, c.want)
		}
	}
	three := &Listing{Paths: list.Paths, Labels: list.Labels, ClassNames: []string{"a", "b", "c"}}
	if _, err := NewLoader(three, Options{Height: 4, Width: 4, Labels: Binary}); err == nil {
		t.Error("binary labels with 3 classes: no error")
	}
}

// TestLoaderDeterministic: the same seed gives the same batches whatever the
// number of workers and prefetch depth; epochs differ from each other.
func TestLoaderDeterministic(t *testing.T) {
	dir := writeDataset(t, []string{"a", "b", "c"}, 5)
	list, _ := ListDirectory(dir, ListOptions{})
	aug := &Augment{RotationRange: 30, ZoomRange: [2]float64{0.8, 1.2}, HorizontalFlip: true, ChannelShiftRange: 10}
	run := func(workers, prefetch int, epoch int) ([][]float32, []string) {
		ld, err := NewLoader(list, Options{Height: 8, Width: 8, BatchSize: 4, Shuffle: true, Seed: 3,
			Augment: aug, Workers: workers, Prefetch: prefetch, Interpolation: Bilinear})
		if err != nil {
			t.Fatal(err)
		}
		xs, _, paths := collect(t, ld, epoch)
		return xs, paths
	}
	x1, p1 := run(1, 1, 0)
	x2, p2 := run(4, 3, 0)
	if !slices.Equal(p1, p2) {
		t.Fatalf("order depends on workers: %v vs %v", p1, p2)
	}
	for i := range x1 {
		if !slices.Equal(x1[i], x2[i]) {
			t.Fatalf("batch %d depends on workers", i)
		}
	}
	if len(p1) != 15 || len(x1) != 4 {
		t.Fatalf("%d images in %d batches, want 15 in 4", len(p1), len(x1))
	}
	_, p3 := run(2, 2, 1)
	if slices.Equal(p1, p3) {
		t.Error("epoch 1 has epoch 0's order")
	}
}

func corruptDataset(t *testing.T) (*Listing, []string) {
	dir := writeDataset(t, []string{"a", "b"}, 4)
	bad := []string{filepath.Join(dir, "a", "001.png"), filepath.Join(dir, "b", "002.png")}
	writeFile(t, bad[0], []byte("\x89PNG\r\n\x1a\ntruncated"))
	writeFile(t, bad[1], nil)
	list, err := ListDirectory(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return list, bad
}

func TestLoaderSkipsBadFiles(t *testing.T) {
	list, bad := corruptDataset(t)
	ld, _ := NewLoader(list, Options{Height: 4, Width: 4, BatchSize: 3, OnError: SkipOnError, Labels: Sparse})
	ep := ld.Epoch(context.Background(), 0)
	defer ep.Close()
	n := 0
	for {
		b, err := ep.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range b.Paths {
			if slices.Contains(bad, p) {
				t.Errorf("bad file %s delivered", p)
			}
			if float32(b.Classes[i]) != b.Y[i] {
				t.Errorf("labels out of step with images after skipping")
			}
		}
		n += b.N
	}
	if b, i := ep.Delivered(); b != 3 || i != 6 {
		t.Errorf("Delivered() = %d batches, %d images; want 3, 6", b, i)
	}
	if n != 6 || len(ep.Skipped()) != 2 {
		t.Fatalf("%d images, %d skipped; want 6 and 2", n, len(ep.Skipped()))
	}
	var got []string
	for _, fe := range ep.Skipped() {
		got = append(got, fe.Path)
	}
	slices.Sort(got)
	if !slices.Equal(got, bad) {
		t.Errorf("skipped %v, want %v", got, bad)
	}
}

func TestLoaderFailsOnBadFile(t *testing.T) {
	list, bad := corruptDataset(t)
	ld, _ := NewLoader(list, Options{Height: 4, Width: 4, BatchSize: 2})
	ep := ld.Epoch(context.Background(), 0)
	defer ep.Close()
	for {
		_, err := ep.Next()
		if err == nil {
			continue
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != bad[0] {
			t.Fatalf("error %v, want a FileError for %s", err, bad[0])
		}
		if _, again := ep.Next(); again != err {
			t.Errorf("Next after the failure: %v", again)
		}
		return
	}
}

// TestLoaderCancel: cancelling the context ends the epoch promptly, and
// every goroutine exits.
func TestLoaderCancel(t *testing.T) {
	dir := writeDataset(t, []string{"a"}, 40)
	list, _ := ListDirectory(dir, ListOptions{})
	before := runtime.NumGoroutine()
	ld, _ := NewLoader(list, Options{Height: 16, Width: 16, BatchSize: 2, Workers: 3, Prefetch: 2})
	ctx, cancel := context.WithCancel(context.Background())
	ep := ld.Epoch(ctx, 0)
	if _, err := ep.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := ep.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
	ep.Close()
	if _, err := ep.Next(); !errors.Is(err, context.Canceled) && !errors.Is(err, ErrEpochClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Errorf("%d goroutines left running (had %d)", g, before)
	}
	// Memory stays bounded: Prefetch+1 batch buffers, reused by the next epoch.
	if len(ld.spare) != 3 {
		t.Errorf("%d batch buffers, want Prefetch+1 = 3", len(ld.spare))
	}
	ep = ld.Epoch(context.Background(), 1)
	if len(ld.spare) != 0 {
		t.Errorf("next epoch allocated new buffers instead of reusing")
	}
	ep.Close()
}

func TestLoaderOptionErrors(t *testing.T) {
	l := &Listing{Paths: []string{"x"}, Labels: []int{0}, ClassNames: []string{"a"}}
	for _, o := range []Options{{}, {Height: 4, Width: 4, BatchSize: -1}, {Height: 4, Width: 4, Interpolation: 99}} {
		if _, err := NewLoader(l, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestLoaderTFResize(t *testing.T) {
	dir := writeDataset(t, []string{"a"}, 1)
	list, _ := ListDirectory(dir, ListOptions{})
	ld, _ := NewLoader(list, Options{Height: 3, Width: 3, Resize: LikeTF})
	xs, _, _ := collect(t, ld, 0)
	for i, v := range xs[0] {
		if want := []float32{0, 0, 7}[i%3]; v != want {
			t.Fatalf("value %d: %v, want %v", i, v, want)
		}
	}
}

func TestLoaderEmptyListing(t *testing.T) {
	ld, err := NewLoader(&Listing{ClassNames: []string{"a"}}, Options{Height: 4, Width: 4})
	if err != nil {
		t.Fatal(err)
	}
	ep := ld.Epoch(context.Background(), 0)
	defer ep.Close()
	if _, err := ep.Next(); err != io.EOF {
		t.Fatalf("empty listing: %v, want io.EOF", err)
	}
}

package imagedata

import (
	"context"
	"io"
	"path/filepath"
	"testing"
)

// TestFlowMatchesKeras runs the whole pipeline on testdata/images/flow and
// compares two epochs of batches with keras_preprocessing's
// flow_from_directory (listing, split, per-batch reseeding, shuffling, random
// augmentation with every option on, rescale, one-hot labels).
func TestFlowMatchesKeras(t *testing.T) {
	m := loadManifest(t)
	root := filepath.Join(refDir(t), "flow")
	aug := &Augment{RotationRange: 25, WidthShiftRange: 0.1, HeightShiftRange: 0.15, ShearRange: 10,
		ZoomRange: [2]float64{0.8, 1.2}, HorizontalFlip: true, VerticalFlip: true,
		ChannelShiftRange: 20, BrightnessRange: [2]float64{0.7, 1.3}, FillMode: FillReflect,
		Rescale: 1 / 255.0}
	for _, run := range m.Flow {
		t.Run(run.Name, func(t *testing.T) {
			opts := ListOptions{ValidationSplit: run.ValidationSplit}
			switch run.Subset {
			case "training":
				opts.Subset = Training
			case "validation":
				opts.Subset = Validation
			}
			list, err := ListDirectory(root, opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Paths) != len(run.Filenames) {
				t.Fatalf("listed %d files, Keras %d: %v", len(list.Paths), len(run.Filenames), list.Paths)
			}
			for i, p := range list.Paths {
				rel, _ := filepath.Rel(root, p)
				if rel != run.Filenames[i] || list.Labels[i] != run.Classes[i] {
					t.Fatalf("file %d: %s class %d, Keras %s class %d", i, rel, list.Labels[i], run.Filenames[i], run.Classes[i])
				}
			}
			ld, err := NewLoader(list, Options{Height: 12, Width: 10, Interpolation: Bilinear, BatchSize: 4,
				Shuffle: true, Seed: 1234, Augment: aug, Workers: 3, Prefetch: 1})
			if err != nil {
				t.Fatal(err)
			}
			nb := ld.BatchesPerEpoch()
			worst := 0.0
			defer func() { t.Logf("largest difference from Keras: %g", worst) }()
			for b, want := range run.Batches {
				ep := ld.Epoch(context.Background(), b/nb)
				var got *Batch
				for range b%nb + 1 {
					if got, err = ep.Next(); err != nil {
						t.Fatal(err)
					}
				}
				if got.N != want.N {
					t.Fatalf("batch %d: %d images, Keras %d", b, got.N, want.N)
				}
				wantX := loadF32(t, want.X)
				size := 12 * 10 * 3
				for i := range got.N {
					tol := 1e-5 // PNG, BMP and JPEG pixels are exact
					d, at := maxAbsDiff(got.X[i*size:(i+1)*size], wantX[i*size:(i+1)*size])
					worst = max(worst, d)
					if d > tol {
						t.Errorf("batch %d image %d (%s): differs from Keras by %g at value %d", b, i, got.Paths[i], d, at)
					}
				}
				for i, row := range want.Y {
					for j, v := range row {
						if got.Y[i*len(row)+j] != v {
							t.Fatalf("batch %d: labels %v, Keras %v", b, got.Y[:got.N*len(row)], want.Y)
						}
					}
				}
				ep.Close()
			}
			ep := ld.Epoch(context.Background(), 0)
			for range nb {
				if _, err := ep.Next(); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := ep.Next(); err != io.EOF {
				t.Fatalf("after %d batches: %v, want io.EOF", nb, err)
			}
		})
	}
}

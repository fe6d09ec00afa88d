package bench

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/keelml/keel/imagedata"
)

// DataOptions configure the data suite.
type DataOptions struct {
	Common
	Dir           string // a class-per-folder directory to read instead of generated JPEGs
	Images        int    // JPEGs to generate
	Width, Height int    // of the generated JPEGs
	Size          int    // target size (square), as Keras' target_size
	Batch         int
	Interpolation string // PIL filter name
	Augment       bool   // a typical ImageDataGenerator augmentation and MobileNet's preprocessing
	Epochs        int    // timed epochs per thread count (the median is reported)
}

// Data measures the image pipeline's images/s: JPEG decode, Keras resize,
// augmentation.
func Data(o DataOptions, out Sink) error {
	filter, err := imagedata.ParseInterpolation(o.Interpolation)
	if err != nil {
		return err
	}
	if o.Epochs < 1 || o.Images < 1 || o.Size < 1 || o.Batch < 1 || o.Width < 1 || o.Height < 1 {
		return errors.New("--epochs, --images, --width, --height, --size and --batch must be positive")
	}
	root, name := o.Dir, "folder"
	if root == "" {
		tmp, err := os.MkdirTemp("", "keel-bench-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		o.logf("generating %d JPEGs of %dx%d in %s", o.Images, o.Width, o.Height, tmp)
		if err := writeJPEGs(tmp, o.Images, o.Width, o.Height); err != nil {
			return err
		}
		root, name = tmp, fmt.Sprintf("jpeg%dx%d", o.Width, o.Height)
	}
	list, err := imagedata.ListDirectory(root, imagedata.ListOptions{})
	if err != nil {
		return err
	}
	if list.Len() == 0 {
		return fmt.Errorf("%s: no images", root)
	}
	name += fmt.Sprintf("_to%d_%s", o.Size, filter)
	var aug *imagedata.Augment
	if o.Augment {
		name += "_aug"
		aug = &imagedata.Augment{RotationRange: 20, WidthShiftRange: 0.1, HeightShiftRange: 0.1,
			ZoomRange: [2]float64{0.9, 1.1}, HorizontalFlip: true, FillMode: imagedata.FillNearest,
			Preprocess: imagedata.PreprocessTF}
	}
	for _, threads := range o.threads() {
		ld, err := imagedata.NewLoader(list, imagedata.Options{Height: o.Size, Width: o.Size,
			Interpolation: filter, BatchSize: o.Batch, Shuffle: true, Seed: 1, Augment: aug,
			Workers: threads, OnError: imagedata.SkipOnError})
		if err != nil {
			return err
		}
		secs, cpus, skipped, err := o.epochs(ld, threads)
		if err != nil {
			return err
		}
		sec := pick(Median, secs)
		done := list.Len() - skipped
		rate := float64(done) / sec
		rec := Record{Bench: "data", Name: name, Threads: threads, Batch: o.Batch, Seconds: sec,
			PeakGFLOPS: PeakGFLOPS(Wall, threads), // every record carries the machine's peak
			Extra:      map[string]any{"images_per_second": rate, "images": list.Len(), "skipped": skipped}}
		rec.Note = fmt.Sprintf("  %.1f images/s", rate)
		if cpu := pick(Median, cpus); cpu > 0 && done > 0 {
			// CPU time per image does not depend on what else the machine runs,
			// unlike images/s on a shared machine.
			rec.Extra["cpu_ms_per_image"] = 1e3 * cpu / float64(done)
			rec.Note += fmt.Sprintf(", %.2f ms of CPU per image", 1e3*cpu/float64(done))
		}
		if err := out.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

// epochs times o.Epochs epochs of ld with GOMAXPROCS at threads: each one's
// elapsed and process CPU seconds, and the files the last one skipped.
func (o DataOptions) epochs(ld *imagedata.Loader, threads int) (secs, cpus []float64, skipped int, err error) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
	for e := 0; e < o.Epochs; e++ {
		start := time.Now()
		cpu0, _ := cpuTime(processCPU)
		n, s, err := o.drainEpoch(ld, e)
		if err != nil {
			return nil, nil, 0, err
		}
		cpu1, _ := cpuTime(processCPU)
		secs, cpus = append(secs, time.Since(start).Seconds()), append(cpus, (cpu1-cpu0).Seconds())
		skipped = s
		o.logf("threads %d epoch %d: %d images in %.2fs (%.1f images/s, %.2f ms of CPU each), %d skipped",
			threads, e, n, secs[e], float64(n)/secs[e], 1e3*cpus[e]/float64(max(n, 1)), s)
	}
	return secs, cpus, skipped, nil
}

// drainEpoch pulls every batch of one epoch, as a training loop would.
func (o DataOptions) drainEpoch(ld *imagedata.Loader, epoch int) (images, skipped int, err error) {
	ep := ld.Epoch(context.Background(), epoch)
	defer ep.Close()
	for {
		b, err := ep.Next()
		if err == io.EOF {
			for i, fe := range ep.Skipped() {
				if i == 5 {
					o.logf("warning: ... and %d more", len(ep.Skipped())-i)
					break
				}
				o.logf("warning: skipped %v", fe)
			}
			return images, len(ep.Skipped()), nil
		}
		if err != nil {
			return images, 0, err
		}
		images += b.N
	}
}

// writeJPEGs writes count generated JPEGs into two class folders, in
// parallel.
func writeJPEGs(root string, count, w, h int) error {
	for _, c := range []string{"class_a", "class_b"} {
		if err := os.MkdirAll(filepath.Join(root, c), 0o755); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, runtime.GOMAXPROCS(0))
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < count; i += len(errs) {
				if err := WriteJPEG(root, i, w, h); err != nil {
					errs[g] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// WriteJPEG writes the i-th generated w x h JPEG, a photo-like one (smooth
// colour fields, edges and sensor-like noise, so the entropy decoder has
// realistic work), into root's existing folder class_a (even i) or class_b.
func WriteJPEG(root string, i, w, h int) error {
	r := rand.New(rand.NewPCG(uint64(i), 7))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fx, fy := 0.01+0.05*r.Float64(), 0.01+0.05*r.Float64()
	base := [3]float64{r.Float64() * 255, r.Float64() * 255, r.Float64() * 255}
	sx := make([]float64, w)
	for x := range sx {
		sx[x] = 60 * math.Sin(float64(x)*fx)
	}
	for y := 0; y < h; y++ {
		cy := math.Cos(float64(y) * fy)
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			wave := sx[x] * cy
			ramp := 40 * float64(x+y) / float64(w+h)
			for c := range 3 {
				v := base[c] + wave*float64(c+1)/2 + ramp + r.NormFloat64()*8
				row[4*x+c] = uint8(max(0, min(255, v)))
			}
			row[4*x+3] = 255
		}
	}
	f, err := os.Create(filepath.Join(root, []string{"class_a", "class_b"}[i%2], fmt.Sprintf("img%04d.jpg", i)))
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 90}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

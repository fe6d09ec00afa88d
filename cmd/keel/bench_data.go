package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keelml/keel/bench"
	"github.com/keelml/keel/imagedata"
)

func init() {
	registerBench(benchCommand{name: "data", summary: "image pipeline images/s: JPEG decode, Keras resize, augmentation", run: runBenchData})
}

func runBenchData(args []string) error {
	fs := flag.NewFlagSet("bench data", flag.ContinueOnError)
	bf := addBenchFlags(fs)
	dir := fs.String("dir", "", "benchmark this class-per-folder directory instead of generated JPEGs")
	count := fs.Int("images", 1000, "JPEGs to generate")
	width := fs.Int("width", 500, "width of the generated JPEGs")
	height := fs.Int("height", 375, "height of the generated JPEGs")
	size := fs.Int("size", 224, "target size (square), as Keras' target_size")
	batch := fs.Int("batch", 32, "batch size")
	interp := fs.String("interpolation", "nearest", "PIL filter: nearest (Keras' default), bilinear, bicubic, ...")
	augment := fs.Bool("augment", true, "apply a typical ImageDataGenerator augmentation and MobileNet's preprocessing")
	epochs := fs.Int("epochs", 1, "timed epochs per thread count (the median is reported)")
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	filter, err := imagedata.ParseInterpolation(*interp)
	if err != nil {
		return err
	}
	if *epochs < 1 || *count < 1 || *size < 1 || *batch < 1 || *width < 1 || *height < 1 {
		return errors.New("--epochs, --images, --width, --height, --size and --batch must be positive")
	}
	root, name := *dir, "folder"
	if root == "" {
		tmp, err := os.MkdirTemp("", "keel-bench-data-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		progress("generating %d JPEGs of %dx%d in %s", *count, *width, *height, tmp)
		if err := writeBenchJPEGs(tmp, *count, *width, *height); err != nil {
			return err
		}
		root, name = tmp, fmt.Sprintf("jpeg%dx%d", *width, *height)
	}
	list, err := imagedata.ListDirectory(root, imagedata.ListOptions{})
	if err != nil {
		return err
	}
	if list.Len() == 0 {
		return fmt.Errorf("%s: no images", root)
	}
	name += fmt.Sprintf("_to%d_%s", *size, filter)
	var aug *imagedata.Augment
	if *augment {
		name += "_aug"
		aug = &imagedata.Augment{RotationRange: 20, WidthShiftRange: 0.1, HeightShiftRange: 0.1,
			ZoomRange: [2]float64{0.9, 1.1}, HorizontalFlip: true, FillMode: imagedata.FillNearest,
			Preprocess: imagedata.PreprocessTF}
	}
	w := bf.writer()
	for _, threads := range bf.threadCounts() {
		ld, err := imagedata.NewLoader(list, imagedata.Options{Height: *size, Width: *size,
			Interpolation: filter, BatchSize: *batch, Shuffle: true, Seed: 1, Augment: aug,
			Workers: threads, OnError: imagedata.SkipOnError})
		if err != nil {
			return err
		}
		prev := runtime.GOMAXPROCS(threads)
		secs := make([]float64, *epochs)
		cpus := make([]float64, *epochs)
		var skipped int
		for e := range secs {
			start, cpu0 := time.Now(), processCPUSeconds()
			n, s, err := drainEpoch(ld, e)
			if err != nil {
				runtime.GOMAXPROCS(prev)
				return err
			}
			secs[e], cpus[e] = time.Since(start).Seconds(), processCPUSeconds()-cpu0
			skipped = s
			progress("threads %d epoch %d: %d images in %.2fs (%.1f images/s, %.2f ms of CPU each), %d skipped",
				threads, e, n, secs[e], float64(n)/secs[e], 1e3*cpus[e]/float64(max(n, 1)), s)
		}
		runtime.GOMAXPROCS(prev)
		sec := median(secs)
		done := list.Len() - skipped
		rate := float64(done) / sec
		rec := bench.Record{Bench: "data", Name: name, Threads: threads, Batch: *batch, Seconds: sec,
			PeakGFLOPS: bench.PeakGFLOPS(threads), // every record carries the machine's peak
			Extra:      map[string]any{"images_per_second": rate, "images": list.Len(), "skipped": skipped}}
		if cpu := median(cpus); cpu > 0 && done > 0 {
			// CPU time per image does not depend on what else the machine runs,
			// unlike images/s on a shared machine.
			rec.Extra["cpu_ms_per_image"] = 1e3 * cpu / float64(done)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
		if !bf.json {
			line := fmt.Sprintf("  %.1f images/s", rate)
			if cpu, ok := rec.Extra["cpu_ms_per_image"].(float64); ok {
				line += fmt.Sprintf(", %.2f ms of CPU per image", cpu)
			}
			fmt.Println(line)
		}
	}
	return nil
}

// drainEpoch pulls every batch of one epoch, as a training loop would.
func drainEpoch(ld *imagedata.Loader, epoch int) (images, skipped int, err error) {
	ep := ld.Epoch(context.Background(), epoch)
	defer ep.Close()
	for {
		b, err := ep.Next()
		if err == io.EOF {
			for i, fe := range ep.Skipped() {
				if i == 5 {
					progress("warning: ... and %d more", len(ep.Skipped())-i)
					break
				}
				progress("warning: skipped %v", fe)
			}
			return images, len(ep.Skipped()), nil
		}
		if err != nil {
			return images, 0, err
		}
		images += b.N
	}
}

// processCPUSeconds is this process's user+system CPU time from
// /proc/self/stat (Linux; 0 elsewhere), in USER_HZ ticks of 10ms.
func processCPUSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return (ut + st) / 100
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := range s { // tiny: insertion sort
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s[len(s)/2]
}

// writeBenchJPEGs writes count photo-like JPEGs (smooth colour fields, edges
// and sensor-like noise, so the entropy decoder has realistic work) into two
// class folders, in parallel.
func writeBenchJPEGs(root string, count, w, h int) error {
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
				if err := writeBenchJPEG(root, i, w, h); err != nil {
					errs[g] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func writeBenchJPEG(root string, i, w, h int) error {
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

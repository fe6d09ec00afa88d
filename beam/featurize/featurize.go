package featurize

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	pathpkg "path"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local paths
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/textio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/transforms/filter"

	"github.com/keelml/keel/featureset"
	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/kernels"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
)

// DeadLetterName is the file, in the output folder, listing the files that
// could not be featurised: one JSON object a line, {"path":..., "reason":...}.
const DeadLetterName = "dead_letter.jsonl"

// Options are keel-beam featurize's flags.
type Options struct {
	Model     string  // zoo name
	Weights   string  // a Keras weight file (local or on a Beam filesystem such as gs://), or imagenet
	InputSize int     // default: the model's
	Alpha     float64 // MobileNet width (default 1)
	Pooling   string  // "", avg or max: global pooling after the backbone
	// Input is a glob (data/*/*.jpg, gs://bucket/data/*/*.jpg), or @FILE: a
	// text file of image paths, one a line.
	Input string
	// Output is the feature folder: a local path or a Beam filesystem's.
	Output string
	Batch  int // images per forward pass (default 32)
	// Threads are the kernel threads of each worker process (0: GOMAXPROCS).
	Threads int
}

func (o *Options) defaults() error {
	switch {
	case o.Model == "":
		return errors.New("--model is required")
	case o.Weights == "":
		return errors.New("--weights FILE|imagenet is required")
	case o.Input == "" || o.Input == "@":
		return errors.New("--input GLOB|@LIST is required")
	case o.Output == "":
		return errors.New("--output DIR is required")
	case o.Batch < 0:
		return fmt.Errorf("--batch must be at least 1, got %d", o.Batch)
	case o.Pooling != "" && o.Pooling != "avg" && o.Pooling != "max":
		return fmt.Errorf("--pooling %q: want avg or max", o.Pooling)
	case o.InputSize < 0 || o.Alpha < 0 || o.Threads < 0:
		return errors.New("--input-size, --alpha and --threads must not be negative")
	}
	if _, err := zoo.PreprocessMode(o.Model); err != nil {
		return err
	}
	if o.InputSize == 0 {
		o.InputSize = zoo.DefaultSize(o.Model)
	}
	if o.Alpha == 0 {
		o.Alpha = 1
	}
	if o.Batch == 0 {
		o.Batch = 32
	}
	return nil
}

// Build adds the featurisation of o.Input to s's pipeline.
func Build(s beam.Scope, o Options) error {
	if err := o.defaults(); err != nil {
		return err
	}
	var paths beam.PCollection
	if list, ok := strings.CutPrefix(o.Input, "@"); ok {
		paths = beam.ParDo(s.Scope("ListedPaths"), trimPath, textio.Read(s, list))
	} else {
		paths = beam.ParDo(s.Scope("MatchedPaths"), metadataPath, fileio.MatchFiles(s, o.Input))
	}
	files := fileio.ReadMatches(s, beam.ParDo(s, pathMetadata, filter.Distinct(s, paths)), fileio.ReadUncompressed())
	shards, dead := beam.ParDo2(s, &featurizeFn{Model: o.Model, Weights: o.Weights, InputSize: o.InputSize, Alpha: o.Alpha,
		Pooling: o.Pooling, Output: o.Output, Batch: o.Batch, Threads: o.Threads}, files)
	beam.ParDo0(s, &finalizeFn{Model: o.Model, Output: o.Output}, beam.Impulse(s),
		beam.SideInput{Input: shards}, beam.SideInput{Input: dead})
	return nil
}

// Shard is one written shard: its file name, the per-image feature shape
// and its rows, in the file's order.
type Shard struct {
	Name  string
	Shape []int
	Rows  []featureset.Row
}

// DeadLetter is a file that could not be featurised, and why.
type DeadLetter struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func init() {
	register.Function2x0(trimPath)
	register.Emitter1[string]()
	register.Function1x1(metadataPath)
	register.Function1x1(pathMetadata)
	register.DoFn4x1[context.Context, fileio.ReadableFile, func(Shard), func(DeadLetter), error](&featurizeFn{})
	register.DoFn4x1[context.Context, []byte, func(*Shard) bool, func(*DeadLetter) bool, error](&finalizeFn{})
	register.Emitter1[Shard]()
	register.Emitter1[DeadLetter]()
	register.Iter1[Shard]()
	register.Iter1[DeadLetter]()
}

// trimPath takes a list's line as a path; blank lines name nothing.
func trimPath(line string, emit func(string)) {
	if p := strings.TrimSpace(line); p != "" {
		emit(p)
	}
}

func metadataPath(m fileio.FileMetadata) string { return m.Path }

func pathMetadata(p string) fileio.FileMetadata { return fileio.FileMetadata{Path: p} }

// featurizeFn turns batches of image files into feature shards.
type featurizeFn struct {
	Model, Weights string
	InputSize      int
	Alpha          float64
	Pooling        string
	Output         string
	Batch          int
	Threads        int

	model *nn.Model
	mode  zoo.Preprocessing
	shape []int // per image
	buf   []fileio.ReadableFile
}

// Setup takes the worker process's model, built by the first instance.
func (f *featurizeFn) Setup(ctx context.Context) error {
	if f.Threads > 0 {
		kernels.SetThreads(f.Threads)
	}
	m, err := sharedModel(ctx, f.spec())
	if err != nil {
		return err
	}
	f.model = m
	f.mode, _ = zoo.PreprocessMode(f.Model)
	f.shape = m.Output().Shape()
	return nil
}

func (f *featurizeFn) spec() modelSpec {
	return modelSpec{model: f.Model, weights: f.Weights, size: f.InputSize, alpha: f.Alpha, pooling: f.Pooling}
}

func (f *featurizeFn) ProcessElement(ctx context.Context, file fileio.ReadableFile, emit func(Shard), dead func(DeadLetter)) error {
	f.buf = append(f.buf, file)
	if len(f.buf) < f.Batch {
		return nil
	}
	return f.flush(ctx, emit, dead)
}

func (f *featurizeFn) FinishBundle(ctx context.Context, emit func(Shard), dead func(DeadLetter)) error {
	return f.flush(ctx, emit, dead)
}

// flush featurises the files buffered: they are read and decoded in
// parallel, run through the backbone as one batch, and written as one shard.
func (f *featurizeFn) flush(ctx context.Context, emit func(Shard), dead func(DeadLetter)) error {
	files := f.buf
	f.buf = nil
	if len(files) == 0 {
		return nil
	}
	per := 3 * f.InputSize * f.InputSize
	x := make([]float32, len(files)*per)
	reasons := make([]string, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(len(files), runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := f.pixels(ctx, files[i], x[i*per:(i+1)*per]); err != nil {
					reasons[i] = err.Error()
				}
			}
		}()
	}
	for i := range files {
		work <- i
	}
	close(work)
	wg.Wait()
	var ok []string
	for i, file := range files {
		if reasons[i] != "" {
			dead(DeadLetter{Path: file.Metadata.Path, Reason: reasons[i]})
			continue
		}
		copy(x[len(ok)*per:], x[i*per:(i+1)*per]) // close the gaps of the dead
		ok = append(ok, file.Metadata.Path)
	}
	if len(ok) == 0 {
		return nil
	}
	in, err := nn.TensorOf(x[:len(ok)*per], len(ok), f.InputSize, f.InputSize, 3)
	if err != nil {
		return err
	}
	out, err := f.model.Run(in)
	if err != nil {
		return fmt.Errorf("%s on %d images: %w", f.Model, len(ok), err)
	}
	name := featureset.ShardName(ok)
	if err := writeFile(ctx, join(f.Output, name), func(w io.Writer) error {
		return featureset.EncodeShard(w, f.shape, len(ok), out[0].Data)
	}); err != nil {
		return err // a failed write fails the bundle, which the runner retries
	}
	sh := Shard{Name: name, Shape: f.shape}
	for i, p := range ok {
		sh.Rows = append(sh.Rows, featureset.Row{Path: p, Class: featureset.ClassOf(p), Shard: name, Index: i})
	}
	emit(sh)
	return nil
}

// pixels reads and decodes one file into dst as keel train feeds images to
// the backbone: decoded as PIL does, resized with PIL's nearest filter
// (load_img's default), RGB 0..255, then the model's preprocess_input.
func (f *featurizeFn) pixels(ctx context.Context, file fileio.ReadableFile, dst []float32) (err error) {
	defer func() {
		// An image no decoder rejected but that still trips a conversion
		// is a dead letter, as the Loader reports it, not a failed bundle.
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error on this image: %v", r)
		}
	}()
	if featureset.ClassOf(file.Metadata.Path) == "" {
		return errors.New("in no folder: an image's class is the name of its folder")
	}
	data, err := file.Read(ctx)
	if err != nil {
		return err
	}
	img, err := classify.Decode(data, 0)
	if err != nil {
		return err
	}
	classify.Pixels(img, f.InputSize, f.InputSize, dst)
	return zoo.Preprocess(f.mode, dst)
}

// finalizeFn writes the manifest and the dead-letter file once every shard
// is written: its side inputs are complete only then.
type finalizeFn struct {
	Model  string
	Output string
}

func (f *finalizeFn) ProcessElement(ctx context.Context, _ []byte, shards func(*Shard) bool, dead func(*DeadLetter) bool) error {
	var letters []DeadLetter
	var d DeadLetter
	for dead(&d) {
		letters = append(letters, d)
	}
	slices.SortFunc(letters, func(a, b DeadLetter) int { return strings.Compare(a.Path, b.Path) })
	if err := writeFile(ctx, join(f.Output, DeadLetterName), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		for _, l := range letters {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	var rows []featureset.Row
	var shape []int
	var s Shard
	for shards(&s) {
		if shape != nil && !slices.Equal(shape, s.Shape) {
			return fmt.Errorf("shard %s has features %v, others %v", s.Name, s.Shape, shape)
		}
		shape = s.Shape
		rows = append(rows, s.Rows...)
	}
	if len(rows) == 0 {
		return fmt.Errorf("no image could be featurised (%d files in %s)", len(letters), join(f.Output, DeadLetterName))
	}
	m, err := featureset.NewManifest(f.Model, shape, rows)
	if err != nil {
		return err
	}
	return writeFile(ctx, join(f.Output, featureset.ManifestName), m.Encode)
}

// writeFile writes a file through Beam's filesystems (local, gs://, ...).
func writeFile(ctx context.Context, path string, write func(io.Writer) error) error {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	w, err := fs.OpenWrite(ctx, path)
	if err != nil {
		return err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		w.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// join joins a folder and a file name on any Beam filesystem.
func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return strings.TrimRight(dir, "/") + "/" + name
}

// modelSpec names a backbone; a worker process builds each once.
type modelSpec struct {
	model, weights string
	size           int
	alpha          float64
	pooling        string
}

var (
	modelsMu sync.Mutex
	models   = map[modelSpec]*modelOnce{}
)

type modelOnce struct {
	once sync.Once
	m    *nn.Model
	err  error
}

// sharedModel is the worker process's model for spec, built by the first
// caller; the others wait for it.
func sharedModel(ctx context.Context, spec modelSpec) (*nn.Model, error) {
	modelsMu.Lock()
	e := models[spec]
	if e == nil {
		e = &modelOnce{}
		models[spec] = e
	}
	modelsMu.Unlock()
	e.once.Do(func() { e.m, e.err = buildModel(ctx, spec) })
	return e.m, e.err
}

// buildModel builds the backbone, fetching a weight file from a Beam
// filesystem (gs://...) to a local one first.
func buildModel(ctx context.Context, spec modelSpec) (*nn.Model, error) {
	weights := spec.weights
	if strings.Contains(weights, "://") {
		local, err := fetch(ctx, weights)
		if err != nil {
			return nil, fmt.Errorf("weights %s: %w", weights, err)
		}
		defer os.Remove(local)
		weights = local
	}
	return zoo.NewContext(ctx, spec.model, zoo.Options{Weights: weights, InputShape: []int{spec.size, spec.size, 3},
		Alpha: spec.alpha, Pooling: spec.pooling, Notices: os.Stderr})
}

// fetch copies a file from a Beam filesystem to a local temporary file.
func fetch(ctx context.Context, path string) (string, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return "", err
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return "", err
	}
	defer r.Close()
	f, err := os.CreateTemp("", "keel-weights-*"+pathpkg.Ext(path)) // the extension tells the file's format
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}

package imagedata_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/keelml/keel/imagedata"
)

// exampleFolder writes two classes of tiny PNGs, as a user's photo folder.
func exampleFolder() string {
	dir, err := os.MkdirTemp("", "imagedata-example-")
	if err != nil {
		log.Fatal(err)
	}
	for _, class := range []string{"cats", "dogs"} {
		os.MkdirAll(filepath.Join(dir, class), 0o755)
		for i := range 5 {
			m := image.NewGray(image.Rect(0, 0, 40, 30))
			for p := range m.Pix {
				m.Pix[p] = uint8(p + i)
			}
			f, _ := os.Create(filepath.Join(dir, class, fmt.Sprintf("%d.png", i)))
			png.Encode(f, m)
			f.Close()
		}
	}
	return dir
}

// Example is flow_from_directory with ImageDataGenerator augmentation and
// MobileNet's preprocessing: a training subset, shuffled per epoch.
func Example() {
	dir := exampleFolder()
	defer os.RemoveAll(dir)

	train, err := imagedata.ListDirectory(dir, imagedata.ListOptions{ValidationSplit: 0.2, Subset: imagedata.Training})
	if err != nil {
		log.Fatal(err)
	}
	loader, err := imagedata.NewLoader(train, imagedata.Options{
		Height: 24, Width: 24, BatchSize: 4, Shuffle: true, Seed: 42,
		Augment: &imagedata.Augment{
			RotationRange: 20, WidthShiftRange: 0.1, HeightShiftRange: 0.1,
			ZoomRange: [2]float64{0.9, 1.1}, HorizontalFlip: true,
			Preprocess: imagedata.PreprocessTF,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(train.ClassNames, train.Len(), "training images")
	for epoch := range 2 {
		ep := loader.Epoch(context.Background(), epoch)
		for {
			b, err := ep.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("epoch %d batch %d: X %dx%dx%dx%d, Y %d one-hot values, first from %s\n",
				epoch, b.Index, b.N, b.H, b.W, b.C, len(b.Y), filepath.Base(filepath.Dir(b.Paths[0])))
		}
		ep.Close()
	}
	// Output:
	// [cats dogs] 8 training images
	// epoch 0 batch 0: X 4x24x24x3, Y 8 one-hot values, first from cats
	// epoch 0 batch 1: X 4x24x24x3, Y 8 one-hot values, first from cats
	// epoch 1 batch 0: X 4x24x24x3, Y 8 one-hot values, first from dogs
	// epoch 1 batch 1: X 4x24x24x3, Y 8 one-hot values, first from dogs
}

// ExampleResizePIL resizes as Keras' load_img(target_size=..., interpolation="bilinear").
func ExampleResizePIL() {
	img := imagedata.NewImage(4, 1)
	copy(img.Pix, []uint8{0, 0, 0, 100, 100, 100, 200, 200, 200, 250, 250, 250})
	small := imagedata.ResizePIL(img, 2, 1, imagedata.Bilinear)
	fmt.Println(small.Pix)
	// Output: [71 71 71 207 207 207]
}

// ExampleAugment_RandomTransform draws ImageDataGenerator parameters from the
// same numpy stream Keras uses, then applies them.
func ExampleAugment_RandomTransform() {
	aug := imagedata.Augment{RotationRange: 10, HorizontalFlip: true, FillMode: imagedata.FillReflect}
	t := aug.RandomTransform(imagedata.NewRand(0), 8, 8) // np.random.seed(0)
	fmt.Printf("theta %.4f, flip %v\n", t.Theta, t.FlipHorizontal)
	x := make([]float32, 8*8*3)
	out := aug.Apply(x, 8, 8, t, nil)
	fmt.Println(len(out))
	// Output:
	// theta 0.9763, flip false
	// 192
}

// ExampleDecodeBytes: grey, palette and alpha images all come out as RGB.
func ExampleDecodeBytes() {
	m := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	m.SetNRGBA(0, 0, color.NRGBA{R: 10, G: 20, B: 30, A: 0}) // transparent: PIL keeps the colour
	f, _ := os.CreateTemp("", "*.png")
	png.Encode(f, m)
	f.Close()
	defer os.Remove(f.Name())
	img, err := imagedata.Load(f.Name())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(img, img.Pix)
	// Output: 1x1 RGB [10 20 30]
}

// ExampleListDirectory_dataset is image_dataset_from_directory(validation_split=0.2,
// subset="validation", seed=1337, image_size=(24, 24), label_mode="int"): one
// seeded shuffle of all files, the last fifth for validation, TensorFlow's
// decoding and bilinear resize. (numpy's RandomState(1337).shuffle puts
// dogs/3.png and dogs/2.png last, as here.)
func ExampleListDirectory_dataset() {
	dir := exampleFolder()
	defer os.RemoveAll(dir)

	val, err := imagedata.ListDirectory(dir, imagedata.ListOptions{
		Mode: imagedata.DatasetFromDirectory, Shuffle: true, Seed: 1337,
		ValidationSplit: 0.2, Subset: imagedata.Validation,
	})
	if err != nil {
		log.Fatal(err)
	}
	for i, p := range val.Paths {
		fmt.Println(filepath.Base(filepath.Dir(p))+"/"+filepath.Base(p), val.Labels[i])
	}
	loader, err := imagedata.NewLoader(val, imagedata.Options{Height: 24, Width: 24,
		Resize: imagedata.LikeTF, Labels: imagedata.Sparse})
	if err != nil {
		log.Fatal(err)
	}
	ep := loader.Epoch(context.Background(), 0)
	defer ep.Close()
	b, err := ep.Next()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(b.N, b.Y)
	// Output:
	// dogs/3.png 1
	// dogs/2.png 1
	// 2 [1 1]
}

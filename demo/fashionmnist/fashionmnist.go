// Package fashionmnist embeds the 10,000 test images of Fashion-MNIST
// (28x28 greyscale, 10 clothing classes; MIT licence, see LICENSE) and
// decodes them from their IDX files.
package fashionmnist

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"fmt"
	"io"
)

//go:embed t10k-images-idx3-ubyte.gz
var imagesGz []byte

//go:embed t10k-labels-idx1-ubyte.gz
var labelsGz []byte

// Classes are the label names, by label.
var Classes = [10]string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// Size is the images' height and width.
const Size = 28

// Test returns the 10,000 test images (each Size*Size bytes, row-major,
// 0 = background) and their labels.
func Test() (images [][]byte, labels []byte, err error) {
	img, err := readIDX(imagesGz, 0x00000803, 3)
	if err != nil {
		return nil, nil, fmt.Errorf("fashion-mnist images: %w", err)
	}
	lab, err := readIDX(labelsGz, 0x00000801, 1)
	if err != nil {
		return nil, nil, fmt.Errorf("fashion-mnist labels: %w", err)
	}
	if len(img)/(Size*Size) != len(lab) {
		return nil, nil, fmt.Errorf("fashion-mnist: %d images, %d labels", len(img)/(Size*Size), len(lab))
	}
	for i := 0; i < len(lab); i++ {
		images = append(images, img[i*Size*Size:(i+1)*Size*Size])
	}
	return images, lab, nil
}

// readIDX decompresses an IDX file and checks its magic number and
// dimensions (big-endian uint32s), returning the data bytes.
func readIDX(gz []byte, magic uint32, dims int) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	if len(raw) < 4+4*dims || binary.BigEndian.Uint32(raw) != magic {
		return nil, fmt.Errorf("not an IDX file with magic %#x", magic)
	}
	n := 1
	for d := 0; d < dims; d++ {
		n *= int(binary.BigEndian.Uint32(raw[4+4*d:]))
	}
	data := raw[4+4*dims:]
	if len(data) != n {
		return nil, fmt.Errorf("IDX holds %d bytes, its dimensions say %d", len(data), n)
	}
	return data, nil
}

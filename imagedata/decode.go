package imagedata

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registers the format with image.Decode
	_ "image/png"
	"os"

	"github.com/keelml/keel/imagedata/internal/jpeg"

	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// MaxPixels bounds width x height before any pixel is decoded, as PIL's
// decompression-bomb check does (2 x Image.MAX_IMAGE_PIXELS), so a corrupt
// header cannot make the decoder allocate gigabytes.
var MaxPixels = 2 * 89478485

// ErrTooLarge is wrapped by the error for an image above MaxPixels.
var ErrTooLarge = errors.New("image too large")

// DecodeBytes decodes a JPEG, PNG, GIF, BMP or WebP file held in data and
// converts it to RGB as PIL's convert('RGB') does. dst is reused when non-nil.
// A decoder panic on malformed input is returned as an error.
func DecodeBytes(data []byte, dst *Image) (*Image, error) {
	m, format, err := decodeImage(data)
	if err != nil {
		return nil, err
	}
	return toRGB(m, format, dst), nil
}

// decodeImage decodes without converting, so the caller can convert only the
// pixels it needs. It checks the size first and turns decoder panics into
// errors.
func decodeImage(data []byte) (m image.Image, format string, err error) {
	return decodeImageWith(data, false)
}

// decodeImageWith decodes JPEG with libjpeg's fast IDCT when fastIDCT is set,
// as TensorFlow does by default.
func decodeImageWith(data []byte, fastIDCT bool) (m image.Image, format string, err error) {
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("decoder panic on malformed data: %v", r)
		}
	}()
	isJPEG := bytes.HasPrefix(data, []byte("\xff\xd8"))
	var cfg image.Config
	if isJPEG {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, _, err = image.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, "", fmt.Errorf("empty image (%dx%d)", cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(MaxPixels) {
		return nil, "", fmt.Errorf("%w: %dx%d pixels, limit %d", ErrTooLarge, cfg.Width, cfg.Height, MaxPixels)
	}
	if isJPEG {
		// Not image/jpeg: this copy runs libjpeg's IDCT, so samples equal PIL's.
		format = "jpeg"
		if fastIDCT {
			m, err = jpeg.DecodeFast(bytes.NewReader(data))
		} else {
			m, err = jpeg.Decode(bytes.NewReader(data))
		}
	} else {
		m, format, err = image.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", err
	}
	if p, ok := m.(*image.Paletted); ok && format == "gif" {
		transparent := -1
		if idx, rgb, ok := gifTransparentRGB(data); ok && int(idx) < len(p.Palette) {
			p.Palette[idx] = color.NRGBA{rgb[0], rgb[1], rgb[2], 0}
			transparent = int(idx)
		}
		m = gifOnScreen(p, cfg.Width, cfg.Height, transparent)
	}
	return m, format, nil
}

// Load reads and decodes the image file at path. Its error is a *FileError.
func Load(path string) (*Image, error) {
	img, err := loadInto(path, nil)
	if err != nil {
		return nil, fileError(path, err)
	}
	return img, nil
}

// loadInto reads path and decodes it into dst; errors do not name the path.
func loadInto(path string, dst *Image) (*Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeBytes(data, dst)
}

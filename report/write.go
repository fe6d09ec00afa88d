package report

import (
	"fmt"
	"os"
	"path/filepath"
)

// The files Write makes.
const (
	CurvesFile    = "curves.png"
	ConfusionFile = "confusion.png"
	ErrorsFile    = "errors.png"
	IndexFile     = "index.html"
)

// Write draws run's report into dir (made if missing): curves.png when the
// run has a history, confusion.png with an evaluation, errors.png when it
// lists misclassified images, and always index.html, which embeds the
// pictures so it can be mailed or opened anywhere on its own.
func Write(dir string, run Run) error {
	if err := run.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pictures, err := drawPictures(run)
	if err != nil {
		return err
	}
	for _, p := range pictures {
		if err := os.WriteFile(filepath.Join(dir, p.file), p.png, 0o644); err != nil {
			return err
		}
	}
	page, err := indexHTML(run, pictures)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, IndexFile), page, 0o644)
}

// picture is one drawn PNG and the file it goes to.
type picture struct {
	file, title string
	png         []byte
}

// drawPictures makes the pictures run has data for.
func drawPictures(run Run) ([]picture, error) {
	var out []picture
	add := func(file, title string, encode func() ([]byte, error)) error {
		b, err := encode()
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		out = append(out, picture{file, title, b})
		return nil
	}
	if run.History.Epochs() > 0 {
		err := add(CurvesFile, "Training curves", func() ([]byte, error) {
			img, _, err := curves(run.History)
			if err != nil {
				return nil, err
			}
			return encodePNG(img)
		})
		if err != nil {
			return nil, err
		}
	}
	if e := run.Evaluation; e != nil {
		err := add(ConfusionFile, "Confusion matrix", func() ([]byte, error) {
			img, _, err := confusion(e)
			if err != nil {
				return nil, err
			}
			return encodePNG(img)
		})
		if err != nil {
			return nil, err
		}
		if len(e.Misclassified) > 0 {
			err := add(ErrorsFile, "Most confident mistakes", func() ([]byte, error) { return encodePNG(errorGrid(e.Misclassified)) })
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

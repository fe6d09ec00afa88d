package weightsio

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/keelml/keel/weightsio/h5write"
)

// SavedObject is one object of a Keras 3 weights file: its path ("" for
// the model, "layers/conv2d", "layers/functional/layers/dense"), the name
// Keras 3 records on its vars group (the layer's name) and its variables in
// order (their Name is not stored: Keras 3 numbers them).
type SavedObject struct {
	Path string
	Name string
	Vars []SavedWeight
}

// ArchiveOptions are what a .keras archive records beside the model.
type ArchiveOptions struct {
	// KerasVersion is metadata.json's keras_version; default
	// Keras3Version, the version whose layout is written.
	KerasVersion string
	// Saved is metadata.json's date_saved; the zero time means now.
	Saved time.Time
	// Attrs are root attributes of model.weights.h5, which Keras 3 neither
	// writes nor reads (Keel's own metadata); none by default.
	Attrs map[string]string
}

// Keras3Version is the Keras version whose .keras layout SaveArchive writes.
const Keras3Version = "3.10.0"

// dateSaved is the layout of metadata.json's date_saved
// (strftime("%Y-%m-%d@%H:%M:%S")).
const dateSaved = "2006-01-02@15:04:05"

// SaveArchive writes a .keras archive as Keras 3's saving_lib does:
// the members metadata.json, config.json and model.weights.h5, in that
// order, every one STORED; metadata.json {"keras_version", "date_saved"};
// config.json the model's serialisation (config, as Model.Keras3JSON
// writes it); model.weights.h5 a vars group per object with the object's
// name attribute and its variables as datasets 0, 1, ... The file is
// written atomically.
func SaveArchive(path string, config []byte, objects []SavedObject, o ArchiveOptions) error {
	if !json.Valid(config) {
		return fmt.Errorf("%s: the model config is not JSON", path)
	}
	h5, err := keras3WeightsFile(objects, o.Attrs)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var weights bytes.Buffer
	if _, err := h5.WriteTo(&weights); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if o.KerasVersion == "" {
		o.KerasVersion = Keras3Version
	}
	if o.Saved.IsZero() {
		o.Saved = time.Now()
	}
	version, _ := json.Marshal(o.KerasVersion)
	date, _ := json.Marshal(o.Saved.Format(dateSaved))
	meta := []byte(fmt.Sprintf(`{"keras_version": %s, "date_saved": %s}`, version, date))
	// Keras writes the JSON members through ZipFile.open, which dates them
	// 1980-01-01 (ZipInfo's default), and the weights with writestr, dated
	// when saved.
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	return h5write.WriteFileAtomic(path, archiveWriter{members: []archiveMember{
		{archiveMetadata, meta, epoch, 0},
		{archiveConfig, config, epoch, 0},
		{archiveWeights, weights.Bytes(), o.Saved, 0o600},
	}})
}

// keras3WeightsFile lays the objects out as Keras 3's H5IOStore does.
func keras3WeightsFile(objects []SavedObject, attrs map[string]string) (*h5write.File, error) {
	f := h5write.New()
	root := f.Root()
	for k, v := range attrs {
		root.SetString(k, v)
	}
	seen := map[string]bool{}
	for _, obj := range objects {
		vp := "vars"
		if obj.Path != "" {
			vp = obj.Path + "/vars"
		}
		if seen[vp] {
			return nil, fmt.Errorf("object %q saved twice", obj.Path)
		}
		seen[vp] = true
		g := root.Group(vp)
		g.SetUTF8String("name", obj.Name)
		for i, v := range obj.Vars {
			if _, err := g.Dataset(fmt.Sprint(i), v.Shape, v.Data); err != nil {
				return nil, fmt.Errorf("%s/%d: %w", vp, i, err)
			}
		}
	}
	return f, nil
}

type archiveMember struct {
	name     string
	data     []byte
	modified time.Time
	mode     uint32 // Unix permissions: writestr's 0600, none from ZipFile.open
}

// dosTime is t in the MS-DOS date and time fields zipfile writes (no
// extended timestamp).
func dosTime(t time.Time) (date, clock uint16) {
	return uint16((t.Year()-1980)<<9 | int(t.Month())<<5 | t.Day()), uint16(t.Hour()<<11 | t.Minute()<<5 | t.Second()/2)
}

// archiveWriter writes the members as Python's zipfile does for an
// uncompressed archive: local headers with the CRC and sizes (no data
// descriptors), then the central directory.
type archiveWriter struct{ members []archiveMember }

// WriteTo writes the zip archive to w.
func (a archiveWriter) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	zw := zip.NewWriter(cw)
	for _, m := range a.members {
		if uint64(len(m.data)) >= 1<<32-1 {
			return cw.n, errors.New("a member of 4 GiB or more needs ZIP64, which the archive writer does not write")
		}
		h := &zip.FileHeader{
			Name: m.name, Method: zip.Store,
			CRC32: crc32.ChecksumIEEE(m.data), CompressedSize64: uint64(len(m.data)), UncompressedSize64: uint64(len(m.data)),
			CreatorVersion: 3<<8 | 20, ReaderVersion: 20, // Unix, zip 2.0, as zipfile writes them
			ExternalAttrs: m.mode << 16,
		}
		h.ModifiedDate, h.ModifiedTime = dosTime(m.modified)
		fw, err := zw.CreateRaw(h)
		if err != nil {
			return cw.n, err
		}
		if _, err := fw.Write(m.data); err != nil {
			return cw.n, err
		}
	}
	err := zw.Close()
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

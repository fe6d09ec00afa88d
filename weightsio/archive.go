package weightsio

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"github.com/keelml/keel/internal/sizes"
	"github.com/keelml/keel/weightsio/hdf5"
)

// Members of a .keras archive.
const (
	archiveWeights  = "model.weights.h5"
	archiveConfig   = "config.json"
	archiveMetadata = "metadata.json"
	// maxJSONMember bounds the config and metadata members read into memory.
	maxJSONMember = 64 << 20
	// A compressed member may expand at most maxRatio times, once past
	// ratioFloor bytes: Keras' members expand a few times, a zip bomb a
	// thousand.
	maxRatio   = 100
	ratioFloor = 1 << 20
)

// checkMember bounds what decompressing zf allocates, from its header,
// before decompressing: at most limit bytes, and at most maxRatio times its
// compressed size. (archive/zip fails a member that inflates past its
// header's size.)
func checkMember(zf *zip.File, limit uint64) error {
	u, c := zf.UncompressedSize64, zf.CompressedSize64
	if u > limit {
		return errf("member %s declares %s uncompressed, more than the %s accepted", zf.Name, sizes.Bytes(float64(u)), sizes.Bytes(float64(limit)))
	}
	if u > ratioFloor && u/max(c, 1) >= maxRatio {
		return errf("member %s declares %s uncompressed from %s compressed, a ratio past the %d:1 accepted", zf.Name, sizes.Bytes(float64(u)), sizes.Bytes(float64(c)), maxRatio)
	}
	return nil
}

// openArchive reads a .keras zip: config.json, metadata.json and the
// model.weights.h5 member, which is read in place when stored uncompressed
// (as Keras does) and decompressed into memory otherwise.
func openArchive(r io.ReaderAt, size int64, name string) (*File, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, &hdf5.Error{File: name, Err: errf("reading zip archive: %v", err)}
	}
	members := map[string]*zip.File{}
	for _, zf := range zr.File {
		members[zf.Name] = zf
	}
	f := &File{Format: FormatArchive}
	wf := members[archiveWeights]
	if wf == nil {
		return nil, &hdf5.Error{File: name, Err: errf("archive has no %s", archiveWeights)}
	}
	h5Name := name + "!" + archiveWeights
	wr, wsize, err := memberReader(r, size, wf)
	if err != nil {
		return nil, &hdf5.Error{File: h5Name, Err: err}
	}
	if f.h5, err = hdf5.NewFile(wr, wsize, h5Name); err != nil {
		return nil, err
	}
	if zf := members[archiveMetadata]; zf != nil {
		var meta struct {
			KerasVersion string `json:"keras_version"`
			Backend      string `json:"backend"`
		}
		if err := readJSONMember(zf, &meta); err != nil {
			return nil, &hdf5.Error{File: name + "!" + archiveMetadata, Err: err}
		}
		f.KerasVersion, f.Backend = meta.KerasVersion, meta.Backend
		if strings.HasPrefix(meta.KerasVersion, "2.") {
			f.Format = FormatArchiveTF2
		}
	}
	if zf := members[archiveConfig]; zf != nil {
		if err := readJSONMember(zf, &f.ModelConfig); err != nil {
			return nil, &hdf5.Error{File: name + "!" + archiveConfig, Err: err}
		}
		f.ModelConfigJSON, _ = json.Marshal(f.ModelConfig)
	}
	if err := f.load(f.ModelConfig); err != nil {
		return nil, err
	}
	return f, nil
}

// memberReader gives random access to one member.
func memberReader(r io.ReaderAt, size int64, zf *zip.File) (io.ReaderAt, int64, error) {
	if zf.Method == zip.Store && zf.CompressedSize64 == zf.UncompressedSize64 {
		off, err := zf.DataOffset()
		if err != nil {
			return nil, 0, err
		}
		n := int64(zf.UncompressedSize64)
		if n > size-off {
			return nil, 0, errf("member %s declares %s, the archive holds %s from its start", zf.Name, sizes.Bytes(float64(n)), sizes.Bytes(float64(max(size-off, 0))))
		}
		return io.NewSectionReader(r, off, n), n, nil
	}
	if err := checkMember(zf, hdf5.DefaultMaxDataBytes); err != nil {
		return nil, 0, err
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(zf.UncompressedSize64)+1))
	if err != nil {
		return nil, 0, err
	}
	if uint64(len(b)) != zf.UncompressedSize64 {
		return nil, 0, errf("member %s holds %d bytes, its header says %d", zf.Name, len(b), zf.UncompressedSize64)
	}
	return bytes.NewReader(b), int64(len(b)), nil
}

func readJSONMember(zf *zip.File, dst any) error {
	if err := checkMember(zf, maxJSONMember); err != nil {
		return err
	}
	rc, err := zf.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxJSONMember))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return errf("not JSON: %v", err)
	}
	return nil
}

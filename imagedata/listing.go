package imagedata

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ListMode chooses which Keras function's listing and split rules apply.
type ListMode int

const (
	// FlowFromDirectory follows ImageDataGenerator.flow_from_directory: files in
	// class order, each class's files sorted; with a validation split the
	// validation subset is the first fraction of each class's sorted files and
	// training is the rest.
	FlowFromDirectory ListMode = iota
	// DatasetFromDirectory follows image_dataset_from_directory: all files in
	// class order, optionally shuffled once with numpy's RandomState(Seed); the
	// validation subset is the last fraction of that whole list.
	DatasetFromDirectory
)

// Subset selects part of a split listing, as Keras' subset argument does.
type Subset int

const (
	All Subset = iota
	Training
	Validation
)

// DefaultExtensions are the suffixes listed when ListOptions.Extensions is
// empty: every format Decode reads.
var DefaultExtensions = []string{".bmp", ".gif", ".jpeg", ".jpg", ".png", ".webp"}

// ListOptions control ListDirectory. The zero value lists every image of every
// class as flow_from_directory does.
type ListOptions struct {
	Mode            ListMode
	ValidationSplit float64 // fraction in [0, 1)
	Subset          Subset
	// Shuffle and Seed: image_dataset_from_directory's shuffle before the split
	// (DatasetFromDirectory only).
	Shuffle bool
	Seed    uint32
	// Classes fixes the class names and their order (Keras' classes argument);
	// empty means every sub-folder, sorted by name.
	Classes     []string
	Extensions  []string // lower-case suffixes with the dot; empty: DefaultExtensions
	FollowLinks bool
}

// Listing is a labelled list of image files.
type Listing struct {
	Paths      []string
	Labels     []int // index into ClassNames
	ClassNames []string
}

// Len is the number of files.
func (l *Listing) Len() int { return len(l.Paths) }

// ListDirectory lists dir, which holds one sub-folder per class (nested folders
// are searched too), with Keras' ordering and split rules.
func ListDirectory(dir string, opts ListOptions) (*Listing, error) {
	if opts.ValidationSplit < 0 || opts.ValidationSplit >= 1 {
		return nil, fmt.Errorf("validation split %v outside [0, 1)", opts.ValidationSplit)
	}
	if opts.Subset != All && opts.ValidationSplit == 0 {
		return nil, errors.New("a training or validation subset needs a validation split")
	}
	if opts.Shuffle && opts.Mode != DatasetFromDirectory {
		return nil, errors.New("shuffling before the split is image_dataset_from_directory's rule: set Mode to DatasetFromDirectory")
	}
	classes := opts.Classes
	if len(classes) == 0 {
		var err error
		if classes, err = subfolders(dir); err != nil {
			return nil, err
		}
	}
	exts := opts.Extensions
	if len(exts) == 0 {
		exts = DefaultExtensions
	}
	l := &Listing{ClassNames: classes}
	for label, class := range classes {
		files, err := walkSorted(filepath.Join(dir, class), exts, opts.FollowLinks)
		if err != nil {
			return nil, err
		}
		if opts.Mode == FlowFromDirectory && opts.Subset != All {
			// DirectoryIterator: split = (0, v) for validation, (v, 1) for
			// training, each bound int(fraction * count).
			cut := int(opts.ValidationSplit * float64(len(files)))
			if opts.Subset == Validation {
				files = files[:cut]
			} else {
				files = files[cut:]
			}
		}
		for _, f := range files {
			l.Paths = append(l.Paths, f)
			l.Labels = append(l.Labels, label)
		}
	}
	if opts.Mode == DatasetFromDirectory {
		if opts.Shuffle {
			// Keras shuffles paths and labels with two RandomStates of the same
			// seed: the same permutation.
			NewRand(opts.Seed).Shuffle(len(l.Paths), func(i, j int) {
				l.Paths[i], l.Paths[j] = l.Paths[j], l.Paths[i]
				l.Labels[i], l.Labels[j] = l.Labels[j], l.Labels[i]
			})
		}
		if opts.Subset != All {
			n := len(l.Paths)
			cut := n - int(opts.ValidationSplit*float64(n))
			if opts.Subset == Validation {
				l.Paths, l.Labels = l.Paths[cut:], l.Labels[cut:]
			} else {
				l.Paths, l.Labels = l.Paths[:cut], l.Labels[:cut]
			}
		}
	}
	return l, nil
}

// subfolders is sorted(os.listdir(dir)) restricted to directories.
func subfolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		info, err := os.Stat(filepath.Join(dir, e.Name())) // follows a linked class folder, as os.path.isdir does
		if err == nil && info.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no class sub-folders", dir)
	}
	return names, nil
}

// walkSorted is Keras' _iter_valid_files: os.walk sorted by folder path, each
// folder's files sorted by name, kept when the lower-cased name ends with an
// allowed suffix.
func walkSorted(root string, exts []string, followLinks bool) ([]string, error) {
	type folder struct {
		path  string
		files []string
	}
	var folders []folder
	seen := map[string]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			if seen[real] { // a link cycle
				return nil
			}
			seen[real] = true
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		f := folder{path: dir}
		var subdirs []string
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				info, err := os.Stat(p)
				if err != nil {
					continue // a dangling link
				}
				isDir = info.IsDir()
				if isDir && !followLinks {
					continue // os.walk names it among the folders but does not enter it
				}
			}
			if isDir {
				subdirs = append(subdirs, p)
			} else {
				f.files = append(f.files, e.Name())
			}
		}
		folders = append(folders, f)
		for _, s := range subdirs {
			if err := walk(s); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return nil, err
	}
	sort.Slice(folders, func(i, j int) bool { return folders[i].path < folders[j].path })
	var out []string
	for _, f := range folders {
		sort.Strings(f.files)
		for _, name := range f.files {
			lower := strings.ToLower(name)
			for _, ext := range exts {
				if strings.HasSuffix(lower, ext) {
					out = append(out, filepath.Join(f.path, name))
					break
				}
			}
		}
	}
	return out, nil
}

package imagedata

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// makeTree writes the named files under a temp dir (contents don't matter for
// listing) and returns the dir.
func makeTree(t *testing.T, names ...string) string {
	dir := t.TempDir()
	for _, n := range names {
		writeFile(t, filepath.Join(dir, n), []byte("x"))
	}
	return dir
}

func rel(t *testing.T, dir string, paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		r, err := filepath.Rel(dir, p)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

func TestListDirectoryOrderAndFilter(t *testing.T) {
	dir := makeTree(t, "dog/b.png", "dog/a.JPG", "dog/notes.txt", "dog/z/deep.webp", "dog/a-b/x.gif",
		"cat/2.bmp", "cat/10.jpeg", "Bird/1.png", "empty/.keep")
	l, err := ListDirectory(dir, ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Bird", "cat", "dog", "empty"}; !slices.Equal(l.ClassNames, want) {
		t.Errorf("classes %v, want %v", l.ClassNames, want)
	}
	// Folders sorted by full path ("dog/a-b" < "dog/z"), files by name.
	want := []string{"Bird/1.png", "cat/10.jpeg", "cat/2.bmp", "dog/a.JPG", "dog/b.png", "dog/a-b/x.gif", "dog/z/deep.webp"}
	if got := rel(t, dir, l.Paths); !slices.Equal(got, want) {
		t.Errorf("paths %v\nwant  %v", got, want)
	}
	if want := []int{0, 1, 1, 2, 2, 2, 2}; !slices.Equal(l.Labels, want) {
		t.Errorf("labels %v, want %v", l.Labels, want)
	}
}

// TestFlowSplit: flow_from_directory's validation subset is the first
// int(split * n) files of each class, training the rest.
func TestFlowSplit(t *testing.T) {
	dir := makeTree(t, "a/0.png", "a/1.png", "a/2.png", "a/3.png", "a/4.png", "b/0.png", "b/1.png", "b/2.png")
	for _, c := range []struct {
		subset Subset
		want   []string
	}{
		{Validation, []string{"a/0.png", "a/1.png", "b/0.png"}},
		{Training, []string{"a/2.png", "a/3.png", "a/4.png", "b/1.png", "b/2.png"}},
	} {
		l, err := ListDirectory(dir, ListOptions{ValidationSplit: 0.4, Subset: c.subset})
		if err != nil {
			t.Fatal(err)
		}
		if got := rel(t, dir, l.Paths); !slices.Equal(got, c.want) {
			t.Errorf("subset %d: %v, want %v", c.subset, got, c.want)
		}
	}
}

// TestDatasetSplit: image_dataset_from_directory shuffles all files with
// RandomState(seed) and takes the last int(split * n) as validation.
func TestDatasetSplit(t *testing.T) {
	dir := makeTree(t, "a/0.png", "a/1.png", "a/2.png", "b/0.png", "b/1.png", "b/2.png", "b/3.png")
	all, err := ListDirectory(dir, ListOptions{Mode: DatasetFromDirectory, Shuffle: true, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := ListDirectory(dir, ListOptions{})
	order := []int{0, 1, 2, 3, 4, 5, 6}
	NewRand(42).Shuffle(7, func(i, j int) { order[i], order[j] = order[j], order[i] })
	for i, k := range order {
		if all.Paths[i] != plain.Paths[k] || all.Labels[i] != plain.Labels[k] {
			t.Fatalf("shuffled listing does not follow numpy's shuffle: %v", rel(t, dir, all.Paths))
		}
	}
	val, _ := ListDirectory(dir, ListOptions{Mode: DatasetFromDirectory, Shuffle: true, Seed: 42, ValidationSplit: 0.3, Subset: Validation})
	train, _ := ListDirectory(dir, ListOptions{Mode: DatasetFromDirectory, Shuffle: true, Seed: 42, ValidationSplit: 0.3, Subset: Training})
	if !slices.Equal(val.Paths, all.Paths[5:]) || !slices.Equal(train.Paths, all.Paths[:5]) {
		t.Errorf("split: train %v val %v", rel(t, dir, train.Paths), rel(t, dir, val.Paths))
	}
}

func TestListDirectoryErrors(t *testing.T) {
	dir := makeTree(t, "a/0.png")
	for _, c := range []struct {
		opts ListOptions
		want string
	}{
		{ListOptions{ValidationSplit: 1}, "outside"},
		{ListOptions{Subset: Validation}, "needs a validation split"},
		{ListOptions{Shuffle: true}, "DatasetFromDirectory"},
	} {
		if _, err := ListDirectory(dir, c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error with %q", c.opts, err, c.want)
		}
	}
	if _, err := ListDirectory(filepath.Join(dir, "missing"), ListOptions{}); err == nil {
		t.Error("missing folder: no error")
	}
	if _, err := ListDirectory(filepath.Join(dir, "a"), ListOptions{}); err == nil {
		t.Error("folder without class folders: no error")
	}
}

func TestListDirectoryLinks(t *testing.T) {
	dir := makeTree(t, "a/1.png", "elsewhere/2.png", "elsewhere/3.png")
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, "a", "linked.png")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "a", "loop"))
	for _, c := range []struct {
		follow bool
		want   []string
	}{
		{false, []string{"a/1.png"}},
		{true, []string{"a/1.png", "a/linked.png/2.png", "a/linked.png/3.png"}},
	} {
		l, err := ListDirectory(dir, ListOptions{Classes: []string{"a"}, FollowLinks: c.follow})
		if err != nil {
			t.Fatal(err)
		}
		if got := rel(t, dir, l.Paths); !slices.Equal(got, c.want) {
			t.Errorf("follow %v: %v, want %v", c.follow, got, c.want)
		}
	}
}

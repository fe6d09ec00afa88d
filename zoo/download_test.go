package zoo

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// weightServer serves content at every path; the first failFirst requests
// send half of it (honouring Range) and then cut the connection.
func weightServer(t *testing.T, content []byte, failFirst int) (*httptest.Server, *atomic.Int32, *atomic.Int32) {
	var requests, ranged atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		if strings.Contains(r.URL.Path, "missing") {
			http.NotFound(w, r)
			return
		}
		start := 0
		if rg := r.Header.Get("Range"); rg != "" {
			ranged.Add(1)
			fmt.Sscanf(rg, "bytes=%d-", &start)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(content)-1, len(content)))
			w.Header().Set("Content-Length", strconv.Itoa(len(content)-start))
			w.WriteHeader(http.StatusPartialContent)
		} else {
			w.Header().Set("Content-Length", strconv.Itoa(len(content)))
		}
		body := content[start:]
		if int(n) <= failFirst {
			w.Write(body[:len(body)/2])
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests, &ranged
}

func testFile(content []byte) WeightsFile {
	sum := md5.Sum(content)
	return WeightsFile{Name: "m.h5", URL: "https://example.invalid/releases/m.h5", MD5: hex.EncodeToString(sum[:])}
}

func rewriteTo(srv *httptest.Server) func(string) string {
	return func(u string) string { return srv.URL + "/" + filepath.Base(u) }
}

func TestFetchDownloadsVerifiesAndCaches(t *testing.T) {
	content := bytes.Repeat([]byte("keel weights "), 10000)
	srv, requests, _ := weightServer(t, content, 0)
	dir := t.TempDir()
	var progress bytes.Buffer
	f := testFile(content)
	path, err := Fetch(context.Background(), f, FetchOptions{CacheDir: dir, RewriteURL: rewriteTo(srv), Progress: &progress})
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, content, got)
	require.Contains(t, progress.String(), "100%")

	// Offline now: the cached file is used without a request.
	srv.Close()
	before := requests.Load()
	path2, err := Fetch(context.Background(), f, FetchOptions{CacheDir: dir, RewriteURL: rewriteTo(srv)})
	require.NoError(t, err)
	require.Equal(t, path, path2)
	require.Equal(t, before, requests.Load())
}

func TestFetchResumesAfterACutConnection(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 50000)
	srv, requests, ranged := weightServer(t, content, 2)
	path, err := Fetch(context.Background(), testFile(content), FetchOptions{CacheDir: t.TempDir(), RewriteURL: rewriteTo(srv)})
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, content, got)
	require.Equal(t, int32(3), requests.Load())
	require.Equal(t, int32(2), ranged.Load(), "the retries asked only for the rest")
}

func TestFetchRejectsWrongHash(t *testing.T) {
	content := []byte("not the weights you want")
	srv, _, _ := weightServer(t, content, 0)
	f := testFile([]byte("other content"))
	dir := t.TempDir()
	_, err := Fetch(context.Background(), f, FetchOptions{CacheDir: dir, RewriteURL: rewriteTo(srv)})
	require.ErrorContains(t, err, "MD5")
	entries, _ := os.ReadDir(dir)
	require.Empty(t, entries, "a file with the wrong hash is not kept")
}

func TestFetchNotFoundIsNotRetried(t *testing.T) {
	srv, requests, _ := weightServer(t, nil, 0)
	f := WeightsFile{Name: "missing.h5", URL: "https://example.invalid/missing.h5"}
	_, err := Fetch(context.Background(), f, FetchOptions{CacheDir: t.TempDir(), RewriteURL: rewriteTo(srv)})
	require.ErrorContains(t, err, "404")
	require.Equal(t, int32(1), requests.Load())
}

func TestImagenetWeightsNames(t *testing.T) {
	tests := []struct {
		model string
		top   bool
		alpha float64
		rows  int
		want  string
	}{
		{"vgg16", false, 1, 224, "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"},
		{"mobilenet", false, 0.25, 224, "mobilenet_2_5_224_tf_no_top.h5"},
		{"mobilenet", true, 1, 128, "mobilenet_1_0_128_tf.h5"},
		{"mobilenet_v2", true, 1, 224, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5"},
		{"mobilenet_v2", false, 0.35, 96, "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"},
		{"densenet121", false, 1, 224, "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"},
		{"densenet201", true, 1, 224, "densenet201_weights_tf_dim_ordering_tf_kernels.h5"},
	}
	for _, tc := range tests {
		f, err := ImagenetWeights(tc.model, tc.top, tc.alpha, tc.rows)
		require.NoError(t, err)
		require.Equal(t, tc.want, filepath.Base(f.Name))
		require.True(t, strings.HasSuffix(f.URL, "/"+tc.want))
	}
	_, err := ImagenetWeights("mobilenet", false, 0.3, 224)
	require.Error(t, err)
	_, err = ImagenetWeights("alexnet", false, 1, 224)
	require.Error(t, err)
}

// The table must say what keras_applications 1.0.8 says (Debian's
// python3-keras-applications, which CI installs).
func TestImagenetWeightsMatchKerasApplications(t *testing.T) {
	src := "/usr/lib/python3/dist-packages/keras_applications"
	if _, err := os.Stat(src); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("keras_applications sources missing in CI: %v", err)
		}
		t.Skip("python3-keras-applications not installed")
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(src, name))
		require.NoError(t, err)
		// Join Python's adjacent string literals: 'a' 'b' -> 'ab'.
		return regexp.MustCompile(`'\s*\n\s*'`).ReplaceAllString(string(b), "")
	}
	for _, c := range []struct {
		file, model string
	}{{"vgg16.py", "vgg16"}, {"vgg19.py", "vgg19"}, {"resnet50.py", "resnet50_legacy"}} {
		py := read(c.file)
		for top := 0; top < 2; top++ {
			spec, err := Lookup(c.model)
			require.NoError(t, err)
			f := spec.Weights[top]
			require.Contains(t, py, "'"+f.URL+"'", c.model)
			require.Contains(t, py, "'"+f.MD5+"'", c.model)
		}
	}
	common := read("resnet_common.py")
	resnet, err := Lookup("resnet50")
	require.NoError(t, err)
	require.Contains(t, common, "'"+kerasResnet+"'")
	require.Contains(t, common, fmt.Sprintf("'resnet50': ('%s',\n                 '%s')", resnet.Weights[1].MD5, resnet.Weights[0].MD5))
	// densenet.py builds its URLs from BASE_WEIGTHS_PATH + the file name, and
	// passes the same name and its MD5 to get_file.
	densenet := read("densenet.py")
	require.Contains(t, densenet, "BASE_WEIGTHS_PATH = (\n    '"+kerasDensenet+"')")
	for _, model := range []string{"densenet121", "densenet169", "densenet201"} {
		spec, err := Lookup(model)
		require.NoError(t, err)
		for top, suffix := range []string{"_NO_TOP", ""} {
			f := spec.Weights[top]
			require.Equal(t, kerasDensenet+f.Name, f.URL, model)
			constant := strings.ToUpper(model) + "_WEIGHT_PATH" + suffix
			require.Contains(t, densenet, fmt.Sprintf("%s = (\n    BASE_WEIGTHS_PATH +\n    '%s')", constant, f.Name), model)
			require.Contains(t, densenet, fmt.Sprintf("'%s',\n                    %s,\n                    cache_subdir='models',\n                    file_hash='%s')", f.Name, constant, f.MD5), model)
		}
	}
	require.Contains(t, read("mobilenet.py"), "'"+fcholletV06+"'")
	require.Contains(t, read("mobilenet_v2.py"), "'"+mobilenetV2URL+"'")
}

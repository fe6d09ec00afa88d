package zoo

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
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
	"time"

	"github.com/keelml/keel/modelfile"
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
		{"xception", true, 1, 299, "xception_weights_tf_dim_ordering_tf_kernels.h5"},
		{"xception", false, 1, 80, "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"},
		{"inception_v3", true, 1, 299, "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"},
		{"inception_resnet_v2", false, 1, 299, "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5"},
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
		// base is the URL directory where the .py joins it with the file
		// name at run time (BASE_WEIGHT_URL + fname); "" where it spells
		// out the whole URL.
		base string
	}{
		{"vgg16.py", "vgg16", ""}, {"vgg19.py", "vgg19", ""}, {"resnet50.py", "resnet50_legacy", ""},
		{"xception.py", "xception", ""}, {"inception_v3.py", "inception_v3", ""}, {"inception_resnet_v2.py", "inception_resnet_v2", fcholletV07},
	} {
		py := read(c.file)
		for top := 0; top < 2; top++ {
			spec, err := Lookup(c.model)
			require.NoError(t, err)
			f := spec.Weights[top]
			if c.base == "" {
				require.Contains(t, py, "'"+f.URL+"'", c.model)
			} else {
				require.Equal(t, c.base+f.Name, f.URL, c.model)
				require.Contains(t, py, "BASE_WEIGHT_URL = ('"+c.base+"')", c.model)
				require.Contains(t, py, "'"+f.Name+"'", c.model)
			}
			require.Contains(t, py, "'"+filepath.Base(f.URL)+"'", c.model)
			require.Contains(t, py, "'"+f.MD5+"'", c.model)
		}
	}
	// Xception caches its files under get_file's names, quoted as such.
	xc, err := Lookup("xception")
	require.NoError(t, err)
	for _, f := range xc.Weights {
		require.Contains(t, read("xception.py"), "'"+f.Name+"'")
	}
	// resnet_common names a model's files after the model_name its
	// function passes to ResNet, and keys WEIGHTS_HASHES (top, notop) by it.
	common := read("resnet_common.py")
	require.Contains(t, common, "'"+kerasResnet+"'")
	require.Contains(t, common, "model_name + '_weights_tf_dim_ordering_tf_kernels.h5'")
	require.Contains(t, common, "model_name + '_weights_tf_dim_ordering_tf_kernels_notop.h5'")
	for _, model := range []string{"resnet50", "resnet101", "resnet152", "resnet50_v2", "resnet101_v2", "resnet152_v2"} {
		spec, err := Lookup(model)
		require.NoError(t, err)
		def := regexp.MustCompile(`(?s)def ` + spec.KerasName + `\(.*?return ResNet\(stack_fn, \w+, \w+, '(\w+)'`).FindStringSubmatch(common)
		require.NotNil(t, def, "%s: no %s in resnet_common.py", model, spec.KerasName)
		name := def[1]
		for top, suffix := range []string{"_notop.h5", ".h5"} {
			f := spec.Weights[top]
			require.Equal(t, name+"_weights_tf_dim_ordering_tf_kernels"+suffix, f.Name, model)
			require.Equal(t, kerasResnet+f.Name, f.URL, model)
		}
		hashes := fmt.Sprintf(`'%s': \('%s',\s*'%s'\)`, name, spec.Weights[1].MD5, spec.Weights[0].MD5)
		require.True(t, regexp.MustCompile(hashes).MatchString(common), "%s: WEIGHTS_HASHES lacks %s", model, hashes)
	}
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

	// nasnet.py: BASE_WEIGHTS_PATH + the URL's file name in a constant, and
	// get_file(cache name, that constant, cache_subdir, file_hash).
	nasnet := read("nasnet.py")
	require.Contains(t, nasnet, "BASE_WEIGHTS_PATH = ('"+nasnetURL+"')")
	for _, model := range []string{"nasnet_mobile", "nasnet_large"} {
		spec, err := Lookup(model)
		require.NoError(t, err)
		for _, f := range spec.Weights {
			require.True(t, strings.HasPrefix(f.URL, nasnetURL), f.URL)
			decl := regexp.MustCompile(`(NASNET_\w+) = BASE_WEIGHTS_PATH \+ '` + regexp.QuoteMeta(strings.TrimPrefix(f.URL, nasnetURL)) + `'`).FindStringSubmatch(nasnet)
			require.NotNil(t, decl, f.URL)
			call := `get_file\(\s*'` + regexp.QuoteMeta(f.Name) + `',\s*` + decl[1] + `,\s*cache_subdir='models',\s*file_hash='` + f.MD5 + `'\)`
			require.True(t, regexp.MustCompile(call).MatchString(nasnet), "nasnet.py has no %s", call)
		}
	}
}

func TestFetchChecksSHA256(t *testing.T) {
	content := []byte("keel weights, hashed the Keras 3 way")
	srv, _, _ := weightServer(t, content, 0)
	sum := sha256.Sum256(content)
	f := WeightsFile{Name: "k3.weights.h5", URL: "https://example.invalid/k3.weights.h5", SHA256: hex.EncodeToString(sum[:])}
	_, err := Fetch(context.Background(), f, FetchOptions{CacheDir: t.TempDir(), RewriteURL: rewriteTo(srv)})
	require.NoError(t, err)
	f.SHA256 = strings.Repeat("0", 64)
	_, err = Fetch(context.Background(), f, FetchOptions{CacheDir: t.TempDir(), RewriteURL: rewriteTo(srv)})
	require.ErrorContains(t, err, "SHA-256")
}

// weights: "imagenet" of every model asks the model's own published URL and
// checks the published hash (a local server stands in for the release host;
// it serves other bytes, which the hash check refuses), and once the file is
// in the cache, loads it offline.
func TestImagenetOfEveryModel(t *testing.T) {
	for _, s := range Specs() {
		t.Run(s.Name, func(t *testing.T) {
			var asked atomic.Value
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				asked.Store(r.URL.Path)
				w.Write([]byte("not the weights"))
			}))
			t.Cleanup(srv.Close)
			if testing.Short() && s.Published.Params > 30e6 {
				t.Skip("large model in -short mode")
			}
			o := Options{Weights: "imagenet", Notices: testWriter{t}}
			if s.FixedSize {
				o.InputShape = []int{s.DefaultSize, s.DefaultSize, 3}
			} else {
				size := max(s.MinSize, 75)
				if len(s.ImagenetSizes) > 0 {
					size = s.ImagenetSizes[0]
				}
				o.InputShape = []int{size, size, 3}
			}
			f, err := s.imagenetFile(Options{Alpha: 1}, o.InputShape[0])
			require.NoError(t, err)
			dir := t.TempDir()
			o.Fetch = FetchOptions{CacheDir: dir, Retries: 1, RewriteURL: func(u string) string {
				require.True(t, strings.HasPrefix(u, "https://"), u)
				return srv.URL + "/" + u[len("https://"):]
			}}
			_, err = New(s.Name, o)
			require.Error(t, err)
			if f.MD5 != "" || f.SHA256 != "" {
				require.ErrorContains(t, err, "want", "a file with another hash is refused")
			} else {
				require.ErrorContains(t, err, f.Name, "no hash published: the bytes are not a weight file")
				require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(f.Name))))
			}
			require.Equal(t, "/"+strings.TrimPrefix(f.URL, "https://"), asked.Load())

			// The file in the cache: New loads it without asking.
			noWeights := o
			noWeights.Weights = ""
			src, err := New(s.Name, noWeights)
			require.NoError(t, err)
			for _, l := range src.Layers() {
				for _, v := range l.Weights() {
					vals := v.Value()
					for i := range vals {
						vals[i] = float32(i%7) / 8
					}
				}
			}
			cached := filepath.Join(dir, filepath.FromSlash(f.Name))
			require.NoError(t, os.MkdirAll(filepath.Dir(cached), 0o755))
			require.NoError(t, modelfile.SaveWeights(cached, src))
			srv.Close()
			m, err := New(s.Name, o)
			require.NoError(t, err)
			for i, l := range m.Layers() {
				for j, v := range l.Weights() {
					require.Equal(t, src.Layers()[i].Weights()[j].Value(), v.Value(), v.Path())
				}
			}
		})
	}
}

// A host that cannot be reached fails at the first try, and the error says
// which file to put where to work offline.
func TestFetchUnreachableHostFailsAtOnce(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	refusedURL := closed.URL + "/m.h5"
	closed.Close()
	for _, tc := range []struct{ name, url, want string }{
		{"unresolvable name", "http://nonexistent.invalid/m.h5", "nonexistent.invalid"},
		{"connection refused", refusedURL, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var progress bytes.Buffer
			f := WeightsFile{Name: "sub/m.h5", URL: tc.url}
			start := time.Now()
			_, err := Fetch(context.Background(), f, FetchOptions{CacheDir: dir, Retries: 4, Progress: &progress})
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, progress.String(), "retrying")
			require.Less(t, time.Since(start), 3*time.Second, "four retries would wait 7.5 s")
			require.ErrorContains(t, err, "to work offline, copy that file to "+filepath.Join(dir, "sub", "m.h5"))
			require.ErrorContains(t, err, "$KEEL_HOME")
			require.ErrorContains(t, err, tc.url)
		})
	}
}

// A 5xx answer is still retried, and the retry succeeds.
func TestFetchRetriesServerErrors(t *testing.T) {
	content := []byte("weights after a hiccup")
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write(content)
	}))
	t.Cleanup(srv.Close)
	var progress bytes.Buffer
	path, err := Fetch(context.Background(), testFile(content), FetchOptions{CacheDir: t.TempDir(), RewriteURL: rewriteTo(srv), Progress: &progress})
	require.NoError(t, err)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, content, got)
	require.Equal(t, int32(2), requests.Load())
	require.Contains(t, progress.String(), "503")
}

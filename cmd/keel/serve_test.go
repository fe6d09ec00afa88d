package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/serve"
	"github.com/stretchr/testify/require"
)

type servedAnswer struct {
	Predictions []classScore `json:"predictions"`
	Error       string       `json:"error"`
}

func postImage(t *testing.T, url string, data []byte) (int, servedAnswer) {
	t.Helper()
	resp, err := http.Post(url, "application/octet-stream", bytes.NewReader(data))
	require.NoError(t, err)
	defer resp.Body.Close()
	var a servedAnswer
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&a))
	return resp.StatusCode, a
}

func TestServeAnswersAsPredict(t *testing.T) {
	path := colourModel(t, t.TempDir())
	dir, _ := imageFolder(t)
	images := []string{filepath.Join(dir, "a", "red.png"), filepath.Join(dir, "b", "green.png"), filepath.Join(dir, "b", "deep", "blue.PNG")}
	stdout, stderr, code := runCLI(t, append([]string{"predict", "--json", "--top", "2", "--batch", "1", "--model-file", path}, images...)...)
	require.Equal(t, 0, code, stderr)
	recs := jsonLines(t, stdout)
	require.Len(t, recs, len(images))

	m, meta, err := modelfile.Load(path)
	require.NoError(t, err)
	s, err := serve.New(m, meta, serve.Options{})
	require.NoError(t, err)
	defer s.Close()
	hs := httptest.NewServer(s)
	defer hs.Close()
	for i, img := range images {
		data, err := os.ReadFile(img)
		require.NoError(t, err)
		code, a := postImage(t, hs.URL+"/v1/predict?top=2", data)
		require.Equal(t, http.StatusOK, code, a.Error)
		b, err := json.Marshal(recs[i]["predictions"])
		require.NoError(t, err)
		var want []classScore
		require.NoError(t, json.Unmarshal(b, &want))
		require.Equal(t, want, a.Predictions, img)
	}
}

// startServe runs runServe on loopback with signals sent by the test.
func startServe(t *testing.T, path string) (url string, m *nn.Model, signals chan os.Signal, done chan error) {
	m, meta, err := modelfile.Load(path)
	require.NoError(t, err)
	s, err := serve.New(m, meta, serve.Options{})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	signals, done = make(chan os.Signal), make(chan error, 1)
	go func() { done <- runServe(ln, s, path, 5*time.Second, signals) }()
	return "http://" + ln.Addr().String(), m, signals, done
}

func TestServeDrainsOnSIGTERM(t *testing.T) {
	path := colourModel(t, t.TempDir())
	url, m, signals, done := startServe(t, path)
	dir, _ := imageFolder(t)
	red, err := os.ReadFile(filepath.Join(dir, "a", "red.png"))
	require.NoError(t, err)

	held, release := make(chan struct{}), make(chan struct{})
	go m.Exclusive(func() error { close(held); <-release; return nil })
	<-held
	answered := make(chan int, 1)
	go func() {
		code, _ := postImage(t, url+"/v1/predict", red)
		answered <- code
	}()
	time.Sleep(100 * time.Millisecond) // the request reaches the server and waits on the model
	signals <- syscall.SIGTERM
	select {
	case err := <-done:
		t.Fatalf("exited with a request in flight: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	require.Equal(t, http.StatusOK, <-answered)
	require.NoError(t, <-done)
	_, err = http.Get(url + "/healthz")
	require.Error(t, err, "no longer listening")
}

func TestServeReloadsOnSIGHUP(t *testing.T) {
	path := colourModel(t, t.TempDir())
	url, _, signals, done := startServe(t, path)
	classes := func() []string {
		resp, err := http.Get(url + "/v1/model")
		require.NoError(t, err)
		defer resp.Body.Close()
		var info struct{ Classes []string }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		return info.Classes
	}
	// A signal is taken only once the one before it has been handled.
	reload := func() { signals <- syscall.SIGHUP; signals <- syscall.SIGHUP }

	require.NoError(t, os.WriteFile(path, []byte("not a model"), 0o644))
	reload()
	require.Equal(t, []string{"red", "green", "blue"}, classes(), "a bad file leaves the old model")

	other, err := nn.Sequential([]int{8, 8, 3}, nn.NewGlobalAveragePooling2D(), nn.NewDense(2, nn.WithActivation("softmax")))
	require.NoError(t, err)
	require.NoError(t, modelfile.Save(path, other, modelfile.Meta{Preprocess: "none", InputSize: 8, ClassNames: []string{"warm", "cold"}}))
	reload()
	require.Equal(t, []string{"warm", "cold"}, classes())

	signals <- syscall.SIGTERM
	require.NoError(t, <-done)
}

func TestServeFlagsMisuse(t *testing.T) {
	model := colourModel(t, t.TempDir())
	for _, args := range [][]string{
		{},
		{"--model-file", model, "extra"},
		{"--model-file", model, "--max-batch", "0"},
		{"--model-file", model, "--max-body", "lots"},
	} {
		_, stderr, code := runCLI(t, append([]string{"serve"}, args...)...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}

func TestByteSizeFlag(t *testing.T) {
	for in, want := range map[string]int64{"16MB": 16 << 20, "512kb": 512 << 10, "1GiB": 1 << 30, "1000": 1000, "7B": 7} {
		var b byteSize
		require.NoError(t, b.Set(in), in)
		require.Equal(t, want, int64(b), in)
	}
	for _, in := range []string{"", "MB", "-1MB", "0", "12XB", "1.5MB"} {
		var b byteSize
		require.Error(t, b.Set(in), in)
	}
}

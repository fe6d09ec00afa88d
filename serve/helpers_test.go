package serve

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/zoo"
	"github.com/stretchr/testify/require"
)

var testClasses = []string{"cat", "dog", "bird", "fish"}

// tinyModel is a small convolutional classifier at 16 px with tf
// preprocessing and four named classes.
func tinyModel(t testing.TB) (*nn.Model, modelfile.Meta) {
	t.Helper()
	m, err := nn.Sequential([]int{16, 16, 3},
		nn.NewConv2D(8, 3, 3, nn.WithActivation("relu")),
		nn.NewGlobalAveragePooling2D(),
		nn.NewDense(len(testClasses), nn.WithActivation("softmax")))
	require.NoError(t, err)
	return m, modelfile.Meta{Preprocess: "tf", InputSize: 16, ClassNames: testClasses}
}

// newTestServer serves the tiny model over loopback.
func newTestServer(t testing.TB, o Options) (*Server, *httptest.Server) {
	t.Helper()
	m, meta := tinyModel(t)
	o.Name = "tiny"
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(m, meta, o)
	require.NoError(t, err)
	hs := httptest.NewServer(s)
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs
}

// pattern is a w x h PNG whose pixels depend on seed, so images differ.
func pattern(t testing.TB, w, h, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x*7 + seed*31), uint8(y*11 + seed*5), uint8((x + y) * seed), 255})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

// want is what keel predict's pipeline gives for data, worked out here
// step by step: decode, PIL nearest resize, preprocess_input, forward, all
// classes ranked.
func want(t testing.TB, m *nn.Model, data []byte) []float32 {
	t.Helper()
	img, err := imagedata.DecodeBytes(data, nil)
	require.NoError(t, err)
	x := make([]float32, 16*16*3)
	imagedata.ResizePIL(img, 16, 16, imagedata.Nearest).ToFloat32(x)
	require.NoError(t, zoo.Preprocess(zoo.PreprocessTF, x))
	xt, err := nn.TensorOf(x, 1, 16, 16, 3)
	require.NoError(t, err)
	ys, err := m.Run(xt)
	require.NoError(t, err)
	return append([]float32(nil), ys[0].Data...)
}

type testAnswer struct {
	Predictions []struct {
		Class       string  `json:"class"`
		Index       int     `json:"index"`
		Probability float32 `json:"probability"`
	} `json:"predictions"`
	Results []struct {
		Name        string `json:"name"`
		Predictions []struct {
			Class       string  `json:"class"`
			Index       int     `json:"index"`
			Probability float32 `json:"probability"`
		} `json:"predictions"`
	} `json:"results"`
	Model     string   `json:"model"`
	ElapsedMS *float64 `json:"elapsed_ms"`
	Error     string   `json:"error"`
}

// post sends body and decodes the JSON answer.
func post(t testing.TB, url, contentType string, body []byte) (int, testAnswer) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var a testAnswer
	require.NoError(t, json.Unmarshal(b, &a), "%s", b)
	return resp.StatusCode, a
}

// multipartBody holds files as the parts of a form.
func multipartBody(t testing.TB, files map[string][]byte, order []string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, name := range order {
		fw, err := w.CreateFormFile("image", name)
		require.NoError(t, err)
		_, err = fw.Write(files[name])
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), b.Bytes()
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

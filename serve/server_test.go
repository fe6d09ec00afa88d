package serve

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

func TestPredictRawImageAsKeelPredict(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	img := pattern(t, 40, 24, 3)
	scores := want(t, s.current.Load().model, img)

	code, a := post(t, hs.URL+"/v1/predict?top=2", "image/png", img)
	require.Equal(t, http.StatusOK, code, a.Error)
	require.Equal(t, "tiny", a.Model)
	require.NotNil(t, a.ElapsedMS)
	require.Len(t, a.Predictions, 2)
	ranked := slices.Clone(scores)
	slices.Sort(ranked)
	for r, p := range a.Predictions {
		require.Equal(t, ranked[len(ranked)-1-r], p.Probability, "rank %d", r)
		require.Equal(t, scores[p.Index], p.Probability)
		require.Equal(t, testClasses[p.Index], p.Class)
	}

	code, a = post(t, hs.URL+"/v1/predict?top=9", "application/octet-stream", img)
	require.Equal(t, http.StatusOK, code, a.Error)
	require.Len(t, a.Predictions, len(testClasses), "top beyond the classes gives them all")
}

func TestPredictMultipartKeepsOrder(t *testing.T) {
	s, hs := newTestServer(t, Options{MaxBatch: 2})
	files := map[string][]byte{"a.png": pattern(t, 16, 16, 1), "b.png": pattern(t, 30, 9, 2), "c.png": pattern(t, 5, 50, 3)}
	order := []string{"c.png", "a.png", "b.png"}
	ct, body := multipartBody(t, files, order)
	code, a := post(t, hs.URL+"/v1/predict?top=1", ct, body)
	require.Equal(t, http.StatusOK, code, a.Error)
	require.Len(t, a.Results, 3)
	for i, r := range a.Results {
		require.Equal(t, order[i], r.Name)
		scores := want(t, s.current.Load().model, files[r.Name])
		// Batched with others, the sums may round differently from a lone pass.
		require.Equal(t, slices.Index(scores, slices.Max(scores)), r.Predictions[0].Index)
		require.InDelta(t, slices.Max(scores), r.Predictions[0].Probability, 1e-6)
	}
}

func TestPredictJSONTensor(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	x := make([]float32, 16*16*3)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	body, err := json.Marshal(map[string]any{"inputs": [][]float32{x}})
	require.NoError(t, err)
	code, a := post(t, hs.URL+"/v1/predict?top=1", "application/json", body)
	require.Equal(t, http.StatusOK, code, a.Error)
	xt, err := nn.TensorOf(x, 1, 16, 16, 3)
	require.NoError(t, err)
	ys, err := s.current.Load().model.Run(xt)
	require.NoError(t, err)
	require.Len(t, a.Predictions, 1)
	require.Equal(t, slices.Max(ys[0].Data), a.Predictions[0].Probability, "fed as given, without preprocessing")
}

func TestModelHealthReadyMetrics(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	get := func(path string) (int, string) {
		resp, err := http.Get(hs.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
	code, body := get("/v1/model")
	require.Equal(t, http.StatusOK, code)
	var info modelInfo
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	require.Equal(t, modelInfo{Name: "tiny", InputShape: []int{16, 16, 3}, InputSize: []int{16, 16}, Classes: testClasses,
		Preprocess: "tf", Precision: "float32"}, info)

	code, _ = get("/healthz")
	require.Equal(t, http.StatusOK, code)
	code, _ = get("/readyz")
	require.Equal(t, http.StatusOK, code)

	post(t, hs.URL+"/v1/predict", "image/png", pattern(t, 8, 8, 1))
	post(t, hs.URL+"/v1/predict", "image/png", []byte("not an image"))
	code, body = get("/metrics")
	require.Equal(t, http.StatusOK, code)
	for _, line := range []string{
		`keel_serve_requests_total{code="200",route="predict"} 1`,
		`keel_serve_requests_total{code="400",route="predict"} 1`,
		`keel_serve_batch_size_count 1`,
		`keel_serve_queue_depth 0`,
		`keel_serve_request_duration_seconds_count{route="predict"} 2`,
	} {
		require.Contains(t, body, line)
	}

	s.Close()
	code, _ = get("/readyz")
	require.Equal(t, http.StatusServiceUnavailable, code)
	code, a := post(t, hs.URL+"/v1/predict", "image/png", pattern(t, 8, 8, 1))
	require.Equal(t, http.StatusServiceUnavailable, code, "closed: %s", a.Error)
	code, _ = get("/healthz")
	require.Equal(t, http.StatusOK, code)
}

package serve

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/stretchr/testify/require"
)

func TestReloadSwapsOrKeepsTheOldModel(t *testing.T) {
	var next func() (*nn.Model, modelfile.Meta, error)
	s, hs := newTestServer(t, Options{Reload: func() (*nn.Model, modelfile.Meta, error) { return next() }})
	reload := func() (int, modelInfo, string) {
		resp, err := http.Post(hs.URL+"/v1/reload", "", nil)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var info modelInfo
		json.Unmarshal(b, &info)
		return resp.StatusCode, info, string(b)
	}
	img := pattern(t, 12, 12, 4)
	old := s.current.Load()

	next = func() (*nn.Model, modelfile.Meta, error) {
		return nil, modelfile.Meta{}, errors.New("m.h5: not an HDF5 file")
	}
	code, _, body := reload()
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, body, "not an HDF5 file")
	require.Same(t, old, s.current.Load())

	featureMap, err := nn.Sequential([]int{8, 8, 3}, nn.NewConv2D(2, 3, 3))
	require.NoError(t, err)
	next = func() (*nn.Model, modelfile.Meta, error) { return featureMap, modelfile.Meta{}, nil }
	code, _, body = reload()
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, body, "not one vector of scores")
	require.Same(t, old, s.current.Load())
	code, a := post(t, hs.URL+"/v1/predict", "image/png", img)
	require.Equal(t, http.StatusOK, code, a.Error)
	require.Len(t, a.Predictions, 4, "the old model still answers")

	m, err := nn.Sequential([]int{8, 8, 3}, nn.NewGlobalAveragePooling2D(), nn.NewDense(2, nn.WithActivation("softmax")))
	require.NoError(t, err)
	next = func() (*nn.Model, modelfile.Meta, error) {
		return m, modelfile.Meta{Preprocess: "none", ClassNames: []string{"yes", "no"}}, nil
	}
	code, info, body := reload()
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, []string{"yes", "no"}, info.Classes)
	require.Equal(t, []int{8, 8}, info.InputSize)
	code, a = post(t, hs.URL+"/v1/predict", "image/png", img)
	require.Equal(t, http.StatusOK, code, a.Error)
	require.Len(t, a.Predictions, 2)
}

func TestReloadRouteOnlyWhenEnabled(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	resp, err := http.Post(hs.URL+"/v1/reload", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Error(t, s.Reload())
}

package serve_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"

	"github.com/keelml/keel/modelfile"
	"github.com/keelml/keel/nn"
	"github.com/keelml/keel/serve"
)

// A classifier served over HTTP: here a small untrained one on loopback;
// an application loads its own with modelfile.Load and serves it with
// http.ListenAndServe(addr, s).
func Example() {
	m, err := nn.Sequential([]int{32, 32, 3}, nn.NewGlobalAveragePooling2D(), nn.NewDense(2, nn.WithActivation("softmax")))
	if err != nil {
		panic(err)
	}
	meta := modelfile.Meta{Preprocess: "tf", InputSize: 32, ClassNames: []string{"cat", "dog"}}
	s, err := serve.New(m, meta, serve.Options{Name: "pets", MaxBatch: 8})
	if err != nil {
		panic(err)
	}
	defer s.Close()
	hs := httptest.NewServer(s)
	defer hs.Close()

	var img bytes.Buffer
	png.Encode(&img, image.NewRGBA(image.Rect(0, 0, 64, 48)))
	resp, err := http.Post(hs.URL+"/v1/predict?top=1", "image/png", &img)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Predictions []struct {
			Class string `json:"class"`
			Index int    `json:"index"`
		} `json:"predictions"`
		Model string `json:"model"`
	}
	json.NewDecoder(resp.Body).Decode(&answer)
	fmt.Println(resp.StatusCode, answer.Model, len(answer.Predictions))
	// Output: 200 pets 1
}

package serve

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/keelml/keel/imagedata"
	"github.com/keelml/keel/internal/classify"
	"github.com/keelml/keel/zoo"
)

// input is one image or tensor of a request, ready for the model.
type input struct {
	name string // the multipart file name, if any
	x    []float32
}

// answer is POST /v1/predict's reply: Predictions for one input, Results
// for several.
type answer struct {
	Predictions []classify.Score `json:"predictions,omitempty"`
	Results     []result         `json:"results,omitempty"`
	Model       string           `json:"model"`
	ElapsedMS   float64          `json:"elapsed_ms"`
}

type result struct {
	Name        string           `json:"name,omitempty"`
	Predictions []classify.Score `json:"predictions"`
}

func (s *Server) predict(w http.ResponseWriter, r *http.Request) error {
	start := time.Now()
	if s.closed.Load() {
		return httpError{http.StatusServiceUnavailable, "the server is closing"}
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.Timeout)
	defer cancel()
	top := s.opts.Top
	if q := r.URL.Query().Get("top"); q != "" {
		k, err := strconv.Atoi(q)
		if err != nil || k < 1 {
			return httpError{http.StatusBadRequest, fmt.Sprintf("top: want a number of classes of at least 1, got %q", q)}
		}
		top = k
	}
	m := s.current.Load()
	r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)
	inputs, err := s.readInputs(r, m)
	if err != nil {
		return err
	}
	jobs := make([]*job, len(inputs))
	for i, in := range inputs {
		jobs[i] = &job{ctx: ctx, model: m, x: in.x, done: make(chan jobResult, 1)}
	}
	if err := s.batcher.submit(jobs); err != nil {
		return err
	}
	k := min(top, m.classes)
	results := make([]result, len(jobs))
	for i, j := range jobs {
		select {
		case res := <-j.done:
			if res.err != nil {
				return res.err
			}
			results[i] = result{inputs[i].name, classify.NamedTopK(res.scores, 1, k, m.meta.ClassNames)[0]}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	a := answer{Model: s.opts.Name, ElapsedMS: float64(time.Since(start).Microseconds()) / 1000}
	if len(results) == 1 {
		a.Predictions = results[0].Predictions
	} else {
		a.Results = results
	}
	return writeJSON(w, http.StatusOK, a)
}

// readInputs reads the body by its Content-Type: multipart images, a JSON
// tensor, or else one image file.
func (s *Server) readInputs(r *http.Request, m *loaded) ([]input, error) {
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "multipart/form-data":
		return s.readMultipart(r, m)
	case "application/json":
		return s.readTensors(r.Body, m)
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, readError(err)
	}
	in, err := s.image("", data, m)
	if err != nil {
		return nil, err
	}
	return []input{in}, nil
}

// readMultipart takes every part as an image file.
func (s *Server) readMultipart(r *http.Request, m *loaded) ([]input, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, httpError{http.StatusBadRequest, "multipart: " + err.Error()}
	}
	var inputs []input
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readError(fmt.Errorf("multipart: %w", err))
		}
		name := p.FileName()
		if name == "" {
			name = p.FormName()
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, readError(fmt.Errorf("multipart %s: %w", name, err))
		}
		if len(inputs) == cap(s.batcher.queue) {
			return nil, httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("more than %d images in one request", cap(s.batcher.queue))}
		}
		in, err := s.image(name, data, m)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	if len(inputs) == 0 {
		return nil, httpError{http.StatusBadRequest, "multipart: no image parts"}
	}
	return inputs, nil
}

// image decodes, resizes and preprocesses one image file as keel predict
// does.
func (s *Server) image(name string, data []byte, m *loaded) (input, error) {
	label := "body"
	if name != "" {
		label = name
	}
	if m.imageH == 0 {
		return input{}, httpError{http.StatusBadRequest, fmt.Sprintf("the model takes inputs of shape %v, not images: send JSON {\"inputs\": [[...]]}", m.input)}
	}
	if len(data) == 0 {
		return input{}, httpError{http.StatusBadRequest, label + ": empty, no image"}
	}
	img, err := classify.Decode(data, s.opts.MaxPixels)
	switch {
	case errors.Is(err, imagedata.ErrTooLarge):
		return input{}, httpError{http.StatusRequestEntityTooLarge, label + ": " + err.Error()}
	case err != nil:
		return input{}, httpError{http.StatusBadRequest, label + ": " + err.Error()}
	}
	x := make([]float32, m.sampleLen())
	classify.Pixels(img, m.imageH, m.imageW, x)
	if err := zoo.Preprocess(m.preprocess, x); err != nil {
		return input{}, err
	}
	return input{name: name, x: x}, nil
}

// readTensors reads {"inputs": [[...], ...]}: each input the model's input
// flattened (channels last), fed as given.
func (s *Server) readTensors(body io.Reader, m *loaded) ([]input, error) {
	var req struct {
		Inputs [][]float32 `json:"inputs"`
	}
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		return nil, readError(fmt.Errorf("json: %w", err))
	}
	if len(req.Inputs) == 0 {
		return nil, httpError{http.StatusBadRequest, `json: no "inputs"`}
	}
	if len(req.Inputs) > cap(s.batcher.queue) {
		return nil, httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("more than %d inputs in one request", cap(s.batcher.queue))}
	}
	inputs := make([]input, len(req.Inputs))
	for i, x := range req.Inputs {
		if len(x) != m.sampleLen() {
			return nil, httpError{http.StatusBadRequest, fmt.Sprintf("json: input %d has %d values, the model takes %v (%d values)", i, len(x), m.input, m.sampleLen())}
		}
		inputs[i] = input{x: x}
	}
	return inputs, nil
}

// readError is a body that could not be read: 413 over MaxBody, else 400.
func readError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("body over %d bytes", tooBig.Limit)}
	}
	return httpError{http.StatusBadRequest, err.Error()}
}

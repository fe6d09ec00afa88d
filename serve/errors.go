package serve

import (
	"context"
	"errors"
	"net/http"
)

// httpError is an error with the status code it is answered with.
type httpError struct {
	code   int
	reason string
}

func (e httpError) Error() string { return e.reason }

// errorBody is every error's answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeError answers err: its own code for an httpError, 503 for a full
// queue or a request out of time, 500 for anything else.
func writeError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	var he httpError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		code = he.code
	case errors.As(err, &tooBig):
		code = http.StatusRequestEntityTooLarge
	case errors.Is(err, errQueueFull):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	case errors.Is(err, context.Canceled):
		code = 499 // the client has gone; nobody reads this
	}
	writeJSON(w, code, errorBody{err.Error()})
}

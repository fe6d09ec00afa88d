// Package serve is an HTTP inference server for a Keel model, the one
// `keel serve` runs, for an application to embed.
//
// A Server is an http.Handler with these routes:
//
//	POST /v1/predict  an image file as the body (JPEG, PNG, GIF, BMP, WebP),
//	                  multipart/form-data with one or more image parts, or
//	                  application/json {"inputs": [[...], ...]}: float
//	                  tensors, each the model's input flattened, fed as given;
//	                  ?top=K classes per input (default 5)
//	GET  /v1/model    name, input size, classes, preprocessing, precision
//	GET  /healthz     200 while the process serves
//	GET  /readyz      200 while a model is loaded and the server not closed
//	GET  /metrics     Prometheus text: requests by code, latency, batch
//	                  sizes, queue depth
//	POST /v1/reload   swaps in Options.Reload's model (only when set); a
//	                  model that fails to load or cannot be served is
//	                  answered 422 and the old one kept
//
// Images are decoded, resized and preprocessed as `keel predict
// --model-file` does (PIL's nearest resize to the size the model file
// records, then its preprocess_input mode), so both give the same classes
// and probabilities. One input answers
//
//	{"predictions": [{"class": ..., "index": ..., "probability": ...}], "model": ..., "elapsed_ms": ...}
//
// and several answer {"results": [{"name": ..., "predictions": [...]}, ...],
// "model": ..., "elapsed_ms": ...} in the order sent. Errors answer
// {"error": reason} with a 4xx for bad input (400, 413 for a body over
// MaxBody or an image over MaxPixels by its header) and 503 with
// Retry-After when the queue is full or the request runs out of
// Options.Timeout (503 alone once the server is closed).
//
// Inputs of concurrent requests are batched dynamically: one goroutine
// runs a forward pass as soon as MaxBatch inputs wait or BatchWait has
// passed since the first, and drops the inputs of a request whose context
// is done.
package serve

package serve

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// pngHeader is a valid PNG signature and IHDR declaring w x h pixels, and
// nothing after: a decompression bomb's header.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestBadUploadsGetTheir4xxAndTheServerGoesOn(t *testing.T) {
	_, hs := newTestServer(t, Options{MaxBody: 64 << 10, MaxPixels: 1 << 20})
	good := pattern(t, 20, 20, 1)
	ct, oneGoodOneBad := multipartBody(t, map[string][]byte{"ok.png": good, "bad.png": []byte("GIF89a")}, []string{"ok.png", "bad.png"})
	for _, c := range []struct {
		name, contentType string
		body              []byte
		code              int
		reason            string
	}{
		{"text", "text/plain", []byte("hello, not an image"), http.StatusBadRequest, "not an image"},
		{"empty", "image/png", nil, http.StatusBadRequest, "empty"},
		{"truncated", "image/png", good[:len(good)/2], http.StatusBadRequest, "body"},
		{"over MaxBody", "image/png", bytes.Repeat([]byte{1}, 65<<10), http.StatusRequestEntityTooLarge, "body over 65536 bytes"},
		{"bomb by its header", "image/png", pngHeader(50000, 50000), http.StatusRequestEntityTooLarge, "50000x50000"},
		{"bad json", "application/json", []byte(`{"inputs": [[1, 2`), http.StatusBadRequest, "json"},
		{"wrong tensor size", "application/json", []byte(`{"inputs": [[1, 2, 3]]}`), http.StatusBadRequest, "has 3 values"},
		{"no inputs", "application/json", []byte(`{}`), http.StatusBadRequest, "no \"inputs\""},
		{"broken multipart", "multipart/form-data; boundary=x", []byte("--x\r\nnonsense"), http.StatusBadRequest, "multipart"},
		{"one bad part", ct, oneGoodOneBad, http.StatusBadRequest, "bad.png"},
	} {
		code, a := post(t, hs.URL+"/v1/predict", c.contentType, c.body)
		require.Equal(t, c.code, code, "%s: %s", c.name, a.Error)
		require.Contains(t, a.Error, c.reason, c.name)

		code, a = post(t, hs.URL+"/v1/predict", "image/png", good)
		require.Equal(t, http.StatusOK, code, "after %s: %s", c.name, a.Error)
	}

	code, a := post(t, hs.URL+"/v1/predict?top=zero", "image/png", good)
	require.Equal(t, http.StatusBadRequest, code)
	require.True(t, strings.HasPrefix(a.Error, "top:"), a.Error)
	resp, err := http.Get(hs.URL + "/v1/predict")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// A panic inside a route is logged and answered 500; the next request is
// answered as usual.
func TestPanicIsRecoveredAtTheEdge(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	s.route("GET /boom", "boom", func(http.ResponseWriter, *http.Request) error { panic("boom") })
	resp, err := http.Get(hs.URL + "/boom")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	code, a := post(t, hs.URL+"/v1/predict", "image/png", pattern(t, 9, 9, 2))
	require.Equal(t, http.StatusOK, code, a.Error)
}

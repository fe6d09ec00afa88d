package zoo

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// FetchOptions control how weight files are downloaded and cached.
type FetchOptions struct {
	// CacheDir holds downloaded files; default $KEEL_HOME, else ~/.keel/models.
	CacheDir string
	// Client does the requests; default a client with a 30 s header timeout.
	Client *http.Client
	// Retries is how many times a failed download is tried again (resuming
	// where it stopped); default 4.
	Retries int
	// Progress receives a progress bar; nil prints none.
	Progress io.Writer
	// RewriteURL, when set, maps the official URL to the one fetched (tests
	// serve files from a local server; mirrors work the same way).
	RewriteURL func(string) string
}

// DefaultCacheDir is $KEEL_HOME, else ~/.keel/models.
func DefaultCacheDir() string {
	if d := os.Getenv("KEEL_HOME"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "keel", "models")
	}
	return filepath.Join(home, ".keel", "models")
}

// Fetch returns the path of f in the cache, downloading it first when it is
// not there. A host that cannot be reached (no such name, connection
// refused) fails at once; cut connections, timeouts and 5xx answers are
// retried. The error says where to put the file to work offline. A cached
// file is trusted once its hash was checked at download
// (it is only renamed into place after that), so Fetch works offline. An
// interrupted download resumes from where it stopped.
func Fetch(ctx context.Context, f WeightsFile, o FetchOptions) (string, error) {
	if o.CacheDir == "" {
		o.CacheDir = DefaultCacheDir()
	}
	if o.Client == nil {
		o.Client = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: 30 * time.Second}}
	}
	if o.Retries <= 0 {
		o.Retries = 4
	}
	dest := filepath.Join(o.CacheDir, filepath.FromSlash(f.Name))
	if _, err := os.Stat(dest); err == nil {
		return dest, nil
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", fmt.Errorf("weights cache: %w", err)
	}
	url := f.URL
	if o.RewriteURL != nil {
		url = o.RewriteURL(url)
	}
	part := dest + ".part"
	var err error
	for attempt := 0; attempt <= o.Retries; attempt++ {
		if attempt > 0 {
			wait := time.Duration(1<<min(attempt-1, 4)) * 500 * time.Millisecond
			if o.Progress != nil {
				fmt.Fprintf(o.Progress, "download of %s failed (%v); retrying in %v\n", f.Name, err, wait)
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(wait):
			}
		}
		err = downloadPart(ctx, o, url, part, f.Name)
		if err == nil || errors.Is(err, errPermanent) || unreachable(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("downloading %s from %s: %w (to work offline, copy that file to %s; the cache is $KEEL_HOME, else ~/.keel/models)", f.Name, url, err, dest)
	}
	for _, c := range []struct {
		algo string
		want string
		h    func() hash.Hash
	}{{"MD5", f.MD5, md5.New}, {"SHA-256", f.SHA256, sha256.New}} {
		if c.want == "" {
			continue
		}
		sum, err := hashFile(part, c.h())
		if err != nil {
			return "", err
		}
		if sum != strings.ToLower(c.want) {
			os.Remove(part)
			return "", fmt.Errorf("downloaded %s has %s %s, want %s (file removed; try again)", f.Name, c.algo, sum, c.want)
		}
	}
	if err := os.Rename(part, dest); err != nil {
		return "", fmt.Errorf("weights cache: %w", err)
	}
	return dest, nil
}

var errPermanent = errors.New("not retried")

// unreachable reports a host that cannot be reached at all: its name does not
// resolve, or nothing listens or no route leads there. Trying again in a few
// seconds changes none of that (an offline machine would only wait longer),
// unlike a timeout or a 5xx answer.
func unreachable(err error) bool {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH)
}

// downloadPart appends to part what it lacks of url, asking for the rest with
// a Range request when part already holds a prefix.
func downloadPart(ctx context.Context, o FetchOptions, url, part, name string) error {
	have := int64(0)
	if st, err := os.Stat(part); err == nil {
		have = st.Size()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := o.Client.Do(req)
	if ue := (*neturl.Error)(nil); errors.As(err, &ue) {
		return ue.Err // Fetch's message names the URL already
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	flags := os.O_CREATE | os.O_WRONLY
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusOK:
		flags |= os.O_TRUNC // the server ignored the range: start again
		have = 0
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		return nil // part already holds the whole file
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%w: HTTP %s", errPermanent, resp.Status)
	default:
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	total := int64(-1)
	if resp.ContentLength >= 0 {
		total = have + resp.ContentLength
	}
	var w io.Writer = out
	if o.Progress != nil {
		bar := &progressBar{out: o.Progress, name: name, done: have, total: total, start: time.Now()}
		defer bar.finish()
		w = io.MultiWriter(out, bar)
	}
	_, copyErr := io.Copy(w, resp.Body)
	closeErr := out.Close()
	if copyErr != nil {
		return copyErr
	}
	if closeErr != nil {
		return fmt.Errorf("%w: %v", errPermanent, closeErr)
	}
	if total >= 0 {
		if st, err := os.Stat(part); err == nil && st.Size() != total {
			return fmt.Errorf("got %d of %d bytes", st.Size(), total)
		}
	}
	return nil
}

func hashFile(path string, h hash.Hash) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// progressBar prints "name [=====>    ] 42% 12.3/29.1 MB 4.1 MB/s" on one
// line, at most ten times a second.
type progressBar struct {
	out         io.Writer
	name        string
	done, total int64
	start, last time.Time
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if time.Since(p.last) > 100*time.Millisecond {
		p.draw()
	}
	return len(b), nil
}

func (p *progressBar) draw() {
	p.last = time.Now()
	rate := float64(p.done) / max(time.Since(p.start).Seconds(), 1e-3) / 1e6
	if p.total <= 0 {
		fmt.Fprintf(p.out, "\r%s %.1f MB %.1f MB/s", p.name, float64(p.done)/1e6, rate)
		return
	}
	frac := float64(p.done) / float64(p.total)
	const width = 30
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n > 0 && n < width {
		bar = bar[:n-1] + ">" + bar[n:]
	}
	fmt.Fprintf(p.out, "\r%s [%s] %3.0f%% %.1f/%.1f MB %.1f MB/s", p.name, bar, 100*frac, float64(p.done)/1e6, float64(p.total)/1e6, rate)
}

func (p *progressBar) finish() {
	p.draw()
	fmt.Fprintln(p.out)
}

package media_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
	"github.com/shianbao/shianbao/internal/media/mediatest"
)

func newS3(t *testing.T, o media.S3Options) *media.S3 {
	t.Helper()
	st, err := media.NewS3(o)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestS3(t *testing.T) {
	t.Run("PathStyle", func(t *testing.T) {
		st := newS3(t, mediatest.StartS3(t).Options)
		if err := st.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		mediatest.Contract(t, st)
	})
	t.Run("VirtualHost", func(t *testing.T) {
		f := mediatest.StartS3VirtualHost(t)
		hosts := &hostRecorder{next: f.Options.Transport, seen: map[string]bool{}}
		o := f.Options
		o.Transport = hosts
		st := newS3(t, o)
		if err := st.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		mediatest.Contract(t, st)
		// Every request named the bucket in the host, none in the path.
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(f.Options.Endpoint, "http://"))
		hosts.mu.Lock()
		defer hosts.mu.Unlock()
		if want := mediatest.FakeBucket + ".s3.test:" + port; len(hosts.seen) != 1 || !hosts.seen[want] {
			t.Fatalf("requests went to %v, want only %s", hosts.seen, want)
		}
	})
	t.Run("Prefix", func(t *testing.T) {
		f := mediatest.StartS3(t)
		o := f.Options
		o.Prefix = "/shianbao/media/"
		st := newS3(t, o)
		mediatest.Contract(t, st)
		// The same bucket without the prefix does not see the objects.
		if _, _, err := newS3(t, f.Options).Open(context.Background(), "abc.jpg"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("object outside the prefix: %v", err)
		}
	})
}

func TestS3Ping(t *testing.T) {
	ctx := context.Background()
	t.Run("ErrNoBucket", func(t *testing.T) {
		o := mediatest.StartS3(t).Options
		o.Bucket = "no-such-bucket"
		if err := newS3(t, o).Ping(ctx); err == nil {
			t.Fatal("missing bucket reported ready")
		}
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		f := mediatest.StartS3(t)
		st := newS3(t, f.Options)
		f.Close()
		if err := st.Ping(ctx); err == nil {
			t.Fatal("stopped service reported ready")
		}
		if _, _, err := st.Open(ctx, "abc.jpg"); err == nil || errs.Is(err, errs.NotFound) {
			t.Fatalf("open on a stopped service: %v", err)
		}
	})
}

func TestNewS3Invalid(t *testing.T) {
	for name, o := range map[string]media.S3Options{
		"NoScheme":  {Endpoint: "minio:9000", Bucket: "b"},
		"FTP":       {Endpoint: "ftp://minio", Bucket: "b"},
		"NoBucket":  {Endpoint: "http://minio:9000"},
		"NoHost":    {Endpoint: "http://", Bucket: "b"},
		"BadBucket": {Endpoint: "http://minio:9000", Bucket: "Bad_Bucket!"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := media.NewS3(o); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// hostRecorder notes the host of every request it carries.
type hostRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	seen map[string]bool
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.seen[r.URL.Host] = true
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

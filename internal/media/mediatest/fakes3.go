package mediatest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/shianbao/shianbao/internal/media"
)

// FakeS3 is an in-memory S3 service on a loopback port, spoken to over real
// HTTP with signed requests, as MinIO or OSS would be.
type FakeS3 struct {
	// Options reach the fake's bucket; pass them to media.NewS3.
	Options media.S3Options
	server  *httptest.Server
}

// Fake credentials: the fake accepts any, but the client signs with them.
const (
	FakeAccessKey = "shianbao-test-access"
	FakeSecretKey = "shianbao-test-secret-key"
	FakeBucket    = "shianbao-media"
	FakeRegion    = "us-east-1"
)

// StartS3 starts a fake S3 service with an empty bucket, addressed
// path-style (http://127.0.0.1:port/bucket/key) as MinIO and SeaweedFS
// are. It stops when the test ends.
func StartS3(t testing.TB) *FakeS3 {
	t.Helper()
	ln := listen(t)
	f := start(t, ln)
	f.Options.Endpoint = f.server.URL
	f.Options.PathStyle = true
	return f
}

// StartS3VirtualHost starts a fake S3 service addressed the way OSS and
// COS are, with the bucket in the host name
// (http://shianbao-media.s3.test:port/key). The fake answers only such
// requests for the bucket, and every host name is dialled at its loopback
// address.
func StartS3VirtualHost(t testing.TB) *FakeS3 {
	t.Helper()
	ln := listen(t)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	f := start(t, ln, gofakes3.WithHostBucketBase("s3.test:"+port))
	f.Options.Endpoint = "http://s3.test:" + port
	addr := ln.Addr().String()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	t.Cleanup(tr.CloseIdleConnections)
	f.Options.Transport = tr
	return f
}

// Close stops the service: the bucket becomes unreachable.
func (f *FakeS3) Close() { f.server.Close() }

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func start(t testing.TB, ln net.Listener, opts ...gofakes3.Option) *FakeS3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(FakeBucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(gofakes3.New(backend, opts...).Server())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return &FakeS3{
		server:  srv,
		Options: media.S3Options{Bucket: FakeBucket, Region: FakeRegion, AccessKey: FakeAccessKey, SecretKey: FakeSecretKey},
	}
}

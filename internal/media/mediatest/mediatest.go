// Package mediatest holds what every media store must do, as one suite run
// against each driver, and an in-process S3 service (gofakes3 over real
// HTTP) for the S3 driver and the app's tests.
package mediatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/media"
)

// Contract runs the Store contract against st, which must be empty.
func Contract(t *testing.T, st media.Store) {
	ctx := context.Background()
	jpeg := []byte("\xff\xd8\xff\xe0 not really a jpeg")

	t.Run("PutOpen", func(t *testing.T) {
		obj, err := st.Put(ctx, "abc.jpg", jpeg, "image/jpeg")
		if err != nil {
			t.Fatal(err)
		}
		if obj.SHA256 != Digest(jpeg) || obj.Size != int64(len(jpeg)) || obj.ContentType != "image/jpeg" || obj.Key != "abc.jpg" {
			t.Fatalf("put = %+v", obj)
		}
		got, b := read(t, st, "abc.jpg")
		if !bytes.Equal(b, jpeg) || got.Size != int64(len(jpeg)) || got.ContentType != "image/jpeg" || got.Key != "abc.jpg" {
			t.Fatalf("open = %+v %q", got, b)
		}
	})
	t.Run("Replace", func(t *testing.T) {
		if _, err := st.Put(ctx, "replace.jpg", jpeg, "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Put(ctx, "replace.jpg", []byte("second"), "image/jpeg"); err != nil {
			t.Fatal(err)
		}
		if obj, b := read(t, st, "replace.jpg"); string(b) != "second" || obj.Size != 6 {
			t.Fatalf("got %+v %q", obj, b)
		}
	})
	t.Run("Sniff", func(t *testing.T) {
		png := []byte("\x89PNG\r\n\x1a\n0000")
		obj, err := st.Put(ctx, "noext", png, "")
		if err != nil {
			t.Fatal(err)
		}
		if obj.ContentType != "image/png" {
			t.Fatalf("put = %+v", obj)
		}
		if obj, b := read(t, st, "noext"); obj.ContentType != "image/png" || !bytes.Equal(b, png) {
			t.Fatalf("open = %+v", obj)
		}
	})
	t.Run("Binary", func(t *testing.T) {
		// Every byte value, and more than one read buffer's worth.
		data := make([]byte, 3<<20)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		key := Digest(data) + ".jpg"
		obj, err := st.Put(ctx, key, data, "image/jpeg")
		if err != nil {
			t.Fatal(err)
		}
		if obj.SHA256 != Digest(data) {
			t.Fatalf("put digest %s", obj.SHA256)
		}
		if got, b := read(t, st, key); got.Size != int64(len(data)) || Digest(b) != Digest(data) {
			t.Fatalf("open = %+v, %d bytes", got, len(b))
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		// Instances fetching the same photo at once store the same bytes
		// under the same key; both succeed and the object is whole.
		var wg sync.WaitGroup
		errc := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := st.Put(ctx, "same.jpg", jpeg, "image/jpeg")
				errc <- err
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, b := read(t, st, "same.jpg"); !bytes.Equal(b, jpeg) {
			t.Fatalf("got %q", b)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, err := st.Open(ctx, "missing.jpg")
		if !errs.Is(err, errs.NotFound) {
			t.Fatalf("err = %v", err)
		}
		if msg := errs.MessageOf(err); msg != "照片不存在" {
			t.Fatalf("message = %q", msg)
		}
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		for _, k := range []string{"", "../x", "a/b", ".hidden", "..", `a\b`, strings.Repeat("a", 201), "ü.jpg"} {
			if _, err := st.Put(ctx, k, jpeg, ""); !errs.Is(err, errs.Invalid) {
				t.Errorf("Put(%q) err = %v", k, err)
			}
			if _, _, err := st.Open(ctx, k); !errs.Is(err, errs.Invalid) {
				t.Errorf("Open(%q) err = %v", k, err)
			}
		}
	})
	t.Run("ErrCanceled", func(t *testing.T) {
		done, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := st.Put(done, "late.jpg", jpeg, "image/jpeg"); !errs.Is(err, errs.Unavailable) {
			t.Errorf("Put err = %v", err)
		}
		if _, _, err := st.Open(done, "abc.jpg"); !errs.Is(err, errs.Unavailable) {
			t.Errorf("Open err = %v", err)
		}
		if _, _, err := st.Open(ctx, "late.jpg"); !errs.Is(err, errs.NotFound) {
			t.Errorf("a canceled Put stored something: %v", err)
		}
	})
}

// Digest is the hex SHA-256 of data, as keys and Object.SHA256 spell it.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func read(t *testing.T, st media.Store, key string) (media.Object, []byte) {
	t.Helper()
	rc, obj, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return obj, b
}

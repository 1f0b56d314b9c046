package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/shianbao/shianbao/internal/errs"
)

// S3Options say where an S3-compatible bucket is and how to reach it.
type S3Options struct {
	// Endpoint is the service's base URL: https://oss-cn-hangzhou.aliyuncs.com,
	// https://cos.ap-guangzhou.myqcloud.com, http://minio:9000. The scheme
	// chooses TLS.
	Endpoint string
	Bucket   string
	// Region signs requests (oss-cn-hangzhou, ap-guangzhou, us-east-1).
	// Empty asks the bucket for its location first, which not every
	// service answers.
	Region string
	// PathStyle puts the bucket in the path (http://minio:9000/bucket/key),
	// as MinIO and SeaweedFS expect; otherwise the bucket is part of the
	// host name (bucket.oss-cn-hangzhou.aliyuncs.com), as OSS and COS do.
	PathStyle bool
	// Prefix is put before every key ("shianbao/media/"), so one bucket can
	// hold other things too.
	Prefix    string
	AccessKey string
	SecretKey string
	// Transport carries the requests; nil uses the default transport.
	Transport http.RoundTripper
}

// S3 stores objects in a bucket of an S3-compatible service, under the same
// flat keys as Local (plus the prefix). Every instance of the service sees
// the same objects, which is what several instances need.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ Store = (*S3)(nil)

// metaSHA256 is the user metadata that records an object's digest at Put,
// so an operator can check a bucket without the database.
const metaSHA256 = "Sha256"

// NewS3 returns a store on the bucket described by o. It makes no request:
// Ping checks that the bucket is reachable.
func NewS3(o S3Options) (*S3, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errs.E(errs.Invalid, "media endpoint %q is not an http(s) URL", o.Endpoint)
	}
	if err := s3utils.CheckValidBucketNameStrict(o.Bucket); err != nil {
		return nil, errs.Wrap(errs.Invalid, err, fmt.Sprintf("media bucket %q is not a valid bucket name", o.Bucket))
	}
	lookup := minio.BucketLookupDNS
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:        credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure:       u.Scheme == "https",
		Region:       o.Region,
		BucketLookup: lookup,
		Transport:    o.Transport,
		// A few retries ride out a blip; a page or a fetch waiting on a
		// dead endpoint is bounded by its context anyway.
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("media store %s: %w", o.Endpoint, err)
	}
	prefix := strings.Trim(o.Prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return &S3{client: client, bucket: o.Bucket, prefix: prefix}, nil
}

// Bucket names the store's bucket.
func (s *S3) Bucket() string { return s.bucket }

// Ping checks that the bucket exists and the credentials may see it: the
// readiness check of an instance whose photos live there.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("media bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("media bucket %s does not exist", s.bucket)
	}
	return nil
}

// Put uploads data under key in one request, so a reader sees the old
// object or the new one, never a mix. The digest goes with it as metadata.
func (s *S3) Put(ctx context.Context, key string, data []byte, contentType string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return Object{}, errs.Wrap(errs.Unavailable, err, "")
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if contentType == "" {
		contentType = http.DetectContentType(data)
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType:      contentType,
		UserMetadata:     map[string]string{metaSHA256: digest},
		DisableMultipart: true,
		// The store checks the bytes it received against this.
		SendContentMd5: true,
	})
	if err != nil {
		return Object{}, s.fail("store", key, err)
	}
	return Object{Key: key, SHA256: digest, ContentType: contentType, Size: int64(len(data))}, nil
}

// Open streams the object stored under key; its size and content type come
// from the bucket. SHA256 is left empty, as Local leaves it.
func (s *S3) Open(ctx context.Context, key string) (io.ReadCloser, Object, error) {
	if err := CheckKey(key); err != nil {
		return nil, Object{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Object{}, errs.Wrap(errs.Unavailable, err, "")
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, Object{}, s.fail("open", key, err)
	}
	// GetObject sends nothing until asked; Stat makes the request, so a
	// missing object is NotFound here rather than halfway through a page.
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, Object{}, s.fail("open", key, err)
	}
	return obj, Object{Key: key, ContentType: info.ContentType, Size: info.Size}, nil
}

// fail translates an S3 error: a missing object is NotFound, an expired
// context Unavailable, anything else an internal error naming the bucket.
func (s *S3) fail(op, key string, err error) error {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey:
		return errs.Wrap(errs.NotFound, err, "照片不存在")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.Unavailable, err, "")
	}
	return fmt.Errorf("%s %s in bucket %s: %w", op, key, s.bucket, err)
}

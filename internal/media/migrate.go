package media

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/shianbao/shianbao/internal/errs"
)

// Source is a store whose objects can be listed: the local directory a
// migration copies from.
type Source interface {
	Store
	Walk(ctx context.Context, fn func(key string) error) error
}

var _ Source = (*Local)(nil)

// MigrateOptions tune a migration.
type MigrateOptions struct {
	// Workers copy objects side by side; 0 means 4.
	Workers int
	// Progress, when set, is told how many of the objects are done.
	Progress func(done, total int)
}

// Migration is what a migration did, object by object.
type Migration struct {
	Total int
	// Copied objects were uploaded, read back and found identical.
	Copied int
	// Skipped objects were already in the target with the same SHA-256.
	Skipped int
	// Failed objects were not copied, or their copy could not be proved;
	// running the migration again retries them.
	Failed []Failure
}

// Failure names an object a migration could not copy, and why (in Chinese,
// for the operator).
type Failure struct {
	Key    string
	Reason string
}

// Summary is the one line an operator reads after a migration.
func (m Migration) Summary() string {
	return fmt.Sprintf("照片迁移完成：共 %d 个文件，复制并核验 %d 个，目标中已有且核验一致而跳过 %d 个，失败 %d 个。",
		m.Total, m.Copied, m.Skipped, len(m.Failed))
}

// Migrate copies every object of from into to and proves each copy: it
// reads the object back from to and compares its SHA-256 with the
// source's. An object already in to with the same digest is skipped, so a
// migration can be run again (after an interruption, or to pick up photos
// stored since) and only copies what is missing or different. A source
// object whose key is a digest (as the service names every photo) and whose
// bytes no longer match it is reported, never copied. The error is for what
// stops the whole run (the context ends, the source cannot be listed);
// single objects that fail are listed in Failed.
func Migrate(ctx context.Context, from Source, to Store, o MigrateOptions) (Migration, error) {
	var keys []string
	if err := from.Walk(ctx, func(key string) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		return Migration{}, fmt.Errorf("list media: %w", err)
	}
	sort.Strings(keys)
	m := Migration{Total: len(keys)}
	workers := o.Workers
	if workers <= 0 {
		workers = 4
	}
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
		next = make(chan string)
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range next {
				outcome, reason := migrateOne(ctx, from, to, key)
				mu.Lock()
				switch outcome {
				case copied:
					m.Copied++
				case skipped:
					m.Skipped++
				case failed:
					m.Failed = append(m.Failed, Failure{Key: key, Reason: reason})
				}
				done++
				if o.Progress != nil {
					o.Progress(done, len(keys))
				}
				mu.Unlock()
			}
		}()
	}
	var err error
feed:
	for _, key := range keys {
		select {
		case next <- key:
		case <-ctx.Done():
			err = errs.Wrap(errs.Unavailable, ctx.Err(), "")
			break feed
		}
	}
	close(next)
	wg.Wait()
	sort.Slice(m.Failed, func(i, j int) bool { return m.Failed[i].Key < m.Failed[j].Key })
	return m, err
}

type outcome int

const (
	copied outcome = iota
	skipped
	failed
)

// digestKey matches a content-addressed key: the hex SHA-256 of the bytes,
// then an extension.
var digestKey = regexp.MustCompile(`^[0-9a-f]{64}(\.|$)`)

func migrateOne(ctx context.Context, from Source, to Store, key string) (outcome, string) {
	rc, obj, err := from.Open(ctx, key)
	if err != nil {
		return failed, "读取本地文件失败：" + err.Error()
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return failed, "读取本地文件失败：" + err.Error()
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	if digestKey.MatchString(key) && !strings.HasPrefix(key, want) {
		return failed, "本地文件内容与文件名中的 SHA-256 不符（文件已损坏），未复制"
	}
	switch got, err := digestOf(ctx, to, key); {
	case err == nil && got == want:
		return skipped, ""
	case err != nil && !errs.Is(err, errs.NotFound):
		return failed, "查询目标存储失败：" + err.Error()
	}
	if _, err := to.Put(ctx, key, data, obj.ContentType); err != nil {
		return failed, "上传失败：" + err.Error()
	}
	got, err := digestOf(ctx, to, key)
	if err != nil {
		return failed, "上传后读回失败：" + err.Error()
	}
	if got != want {
		return failed, "上传后读回的 SHA-256 与本地文件不符"
	}
	return copied, ""
}

// digestOf reads the object under key and returns the hex SHA-256 of its
// bytes.
func digestOf(ctx context.Context, st Store, key string) (string, error) {
	rc, _, err := st.Open(ctx, key)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/config"
	"github.com/shianbao/shianbao/internal/media/mediatest"
)

// TestTwoInstances runs what docs/DEPLOY.md promises: two service processes
// on one MariaDB and one Redis, sharing a fake WeChat API process and an
// S3 bucket for photos. It drives whole visit reports through signed callbacks with every
// turn going to the other instance than the last, runs the reminder planner,
// kills one instance with SIGKILL midway and starts it again — and then
// checks that every conversation stored exactly one visit, every photo is
// readable from both instances and every notification reached the fake
// platform exactly once.
//
// It needs MySQL and Redis (SHIANBAO_TEST_MYSQL_DSN, SHIANBAO_TEST_REDIS_ADDR)
// and skips without them, unless SHIANBAO_TEST_REQUIRE_SERVICES=1.
func TestTwoInstances(t *testing.T) {
	dsn, redisAddr := os.Getenv("SHIANBAO_TEST_MYSQL_DSN"), os.Getenv("SHIANBAO_TEST_REDIS_ADDR")
	if dsn == "" || redisAddr == "" {
		if os.Getenv("SHIANBAO_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatal("SHIANBAO_TEST_MYSQL_DSN and SHIANBAO_TEST_REDIS_ADDR must be set with SHIANBAO_TEST_REQUIRE_SERVICES=1")
		}
		t.Skip("two instances need MySQL and Redis (SHIANBAO_TEST_MYSQL_DSN, SHIANBAO_TEST_REDIS_ADDR)")
	}
	if testing.Short() {
		t.Skip("two whole service processes: not in -short")
	}
	const conversations = 100
	ctx := t.Context()
	dir := t.TempDir()
	bin := buildService(t, dir)
	dbDSN := createDatabase(t, dsn)

	bucket := mediatest.StartS3(t)
	c := &cluster{t: t, bin: bin, dir: dir}
	c.env = map[string]string{
		"SHIANBAO_DB_DRIVER":        "mysql",
		"SHIANBAO_DB_DSN":           dbDSN,
		"SHIANBAO_DB_AUTO_MIGRATE":  "true",
		"SHIANBAO_REDIS_ADDR":       redisAddr,
		"SHIANBAO_REDIS_KEY_PREFIX": fmt.Sprintf("shianbao-two-%d:", time.Now().UnixNano()),
		// Photos on S3-compatible storage both instances reach, as on
		// several machines: a fake bucket served by this test over HTTP.
		"SHIANBAO_MEDIA_DRIVER":        "s3",
		"SHIANBAO_MEDIA_S3_ENDPOINT":   bucket.Options.Endpoint,
		"SHIANBAO_MEDIA_S3_BUCKET":     bucket.Options.Bucket,
		"SHIANBAO_MEDIA_S3_REGION":     bucket.Options.Region,
		"SHIANBAO_MEDIA_S3_PATH_STYLE": "true",
		"SHIANBAO_MEDIA_S3_ACCESS_KEY": mediatest.FakeAccessKey,
		"SHIANBAO_MEDIA_S3_SECRET_KEY": mediatest.FakeSecretKey,
		"SHIANBAO_DEMO_SEED_ON_EMPTY":  "false",
		// Quiet hours would hold every push back if CI runs at night.
		"SHIANBAO_NOTIFY_QUIET_START": "",
		"SHIANBAO_NOTIFY_QUIET_END":   "",
		// Every answer as the passive reply this driver reads (tappable
		// choices have tests of their own).
		"SHIANBAO_WECHAT_MENUS": "false",
		"SHIANBAO_LOG_LEVEL":    "warn",
	}
	c.env["SHIANBAO_WECHAT_API_BASE"] = c.startFakeWX()
	c.run("seed", "--scale", "2000")
	const adminPassword = "two-instances-admin-pw"
	c.runStdin(adminPassword+"\n", "user", "add", "--username", "ci-admin", "--name", "集成测试管理员", "--role", "admin", "--password-stdin")

	cfg := c.config()
	c.instances = []*instance{c.start(0, freePort(t)), c.start(1, freePort(t))}
	for _, in := range c.instances {
		c.waitReady(in)
	}

	// Bind the cadres and give each conversation a photo of its own on the
	// fake platform, as a phone's upload would.
	s, err := app.Open(ctx, cfg, app.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.LoadCadreCodes(ctx, conversations)
	s.Close()
	if err != nil || len(codes) < conversations {
		t.Fatalf("binding codes: %d of %d, %v", len(codes), conversations, err)
	}
	convs := make([]*conversation, conversations)
	for i, code := range codes {
		convs[i] = &conversation{openid: fmt.Sprintf("two-cadre-%d", code.SubjectID), cadreID: code.SubjectID,
			mediaID: c.uploadPhoto(i), first: i % 2}
		if reply := c.turn(convs[i], 0, "绑定 "+code.Code, false); !strings.Contains(reply, "绑定成功") {
			t.Fatalf("bind %s: %q", convs[i].openid, reply)
		}
	}
	started := time.Now().UTC().Add(-time.Second)

	// Drive the reports, twenty people at a time; once a third are done,
	// kill instance 0 and start it again, and run the reminder planner.
	var done atomic.Int32
	killed, finished := make(chan struct{}), make(chan struct{})
	go func() {
		// Closed however this goroutine ends: a Fatalf here ends only this
		// goroutine, and the test must still come to its report.
		defer close(killed)
		for done.Load() < conversations/3 {
			select {
			case <-finished: // the workers gave up early; the checks say why
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
		c.instances[0].kill()
		c.instances[0] = c.start(0, c.instances[0].port)
		c.waitReady(c.instances[0])
		// The day of the quarter's first reminder stage, so the planner has
		// reminders to send to the cadres who are still reporting.
		now := time.Now().In(clock.China)
		quarterEnd := time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+4), 1, 0, 0, 0, 0, clock.China).AddDate(0, 0, -1)
		c.run("remind", "--at", quarterEnd.AddDate(0, 0, -14).Format("2006-01-02"))
	}()
	work := make(chan *conversation)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cv := range work {
				script := visitScripts["guided"]
				for i, text := range script {
					reply := c.turn(cv, 1+i, text, text == "[photo]")
					if i == len(script)-1 {
						cv.completed = strings.Contains(reply, "督导已提交")
					}
				}
				done.Add(1)
			}
		}()
	}
	for _, cv := range convs {
		work <- cv
	}
	close(work)
	wg.Wait()
	close(finished)
	<-killed
	if t.Failed() {
		t.FailNow()
	}

	db := openDB(t, dbDSN)
	for _, cv := range convs {
		if !cv.completed {
			t.Errorf("%s: the report did not complete", cv.openid)
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM visits WHERE cadre_id = ? AND created_at >= ?`, cv.cadreID, started).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s: %d visits stored, want exactly 1", cv.openid, n)
		}
	}

	c.checkPhotos(db, started, conversations, adminPassword)
	c.checkNotifications(db)
}

// conversation is one cadre's report.
type conversation struct {
	openid    string
	cadreID   int64
	mediaID   string
	first     int // the instance of the first turn; turns alternate from there
	completed bool
}

type instance struct {
	index int
	port  int
	cmd   *exec.Cmd
	exit  chan struct{}
}

func (in *instance) url() string { return "http://127.0.0.1:" + strconv.Itoa(in.port) }

// kill ends the process at once, as a crash or an OOM kill would.
func (in *instance) kill() {
	_ = in.cmd.Process.Signal(syscall.SIGKILL)
	<-in.exit
}

type cluster struct {
	t         *testing.T
	bin, dir  string
	env       map[string]string
	fakeBase  string
	instances []*instance
	mu        sync.Mutex
	msgID     int64
	client    http.Client
}

func (c *cluster) environ(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, config.EnvPrefix) {
			out = append(out, kv)
		}
	}
	for k, v := range c.env {
		out = append(out, k+"="+v)
	}
	return append(out, extra...)
}

func (c *cluster) command(args ...string) *exec.Cmd {
	cmd := exec.Command(c.bin, args...)
	cmd.Dir = c.dir // no configs/ there: the embedded default plus the environment
	cmd.Env = c.environ()
	return cmd
}

func (c *cluster) run(args ...string) { c.runStdin("", args...) }

func (c *cluster) runStdin(stdin string, args ...string) {
	c.t.Helper()
	cmd := c.command(args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("shianbao %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	c.t.Logf("shianbao %s: %s", args[0], bytes.TrimSpace(out))
}

// startFakeWX runs `shianbao fakewx` as its own process and returns its
// API base.
func (c *cluster) startFakeWX() string {
	c.t.Helper()
	cmd := c.command("fakewx", "-addr", "127.0.0.1:0")
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := regexp.MustCompile(`SHIANBAO_WECHAT_API_BASE=(\S+)`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := base.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, out) }()
			c.fakeBase = m[1]
			return m[1]
		}
	}
	c.t.Fatal("fakewx printed no address")
	return ""
}

func (c *cluster) start(index, port int) *instance {
	c.t.Helper()
	cmd := c.command("serve")
	cmd.Env = append(cmd.Env, "SHIANBAO_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port))
	logf, err := os.Create(filepath.Join(c.dir, fmt.Sprintf("instance-%d-%d.log", index, time.Now().UnixNano())))
	if err != nil {
		c.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	in := &instance{index: index, port: port, cmd: cmd, exit: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(in.exit) }()
	c.t.Cleanup(func() {
		select {
		case <-in.exit:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-in.exit
		}
	})
	return in
}

func (c *cluster) waitReady(in *instance) {
	c.t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-in.exit:
			c.t.Fatalf("instance %d exited while starting (logs in %s)", in.index, c.dir)
		default:
		}
		resp, err := c.client.Get(in.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	c.t.Fatalf("instance %d never became ready", in.index)
}

func (c *cluster) config() config.Config {
	c.t.Helper()
	cfg, err := config.Load(config.Source{Environ: func(k string) (string, bool) {
		v, ok := c.env[k]
		return v, ok
	}})
	if err != nil {
		c.t.Fatal(err)
	}
	return cfg
}

func (c *cluster) nextMsgID() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgID++
	return 9_000_000_000 + c.msgID
}

// turn delivers one message to the instance whose turn it is and returns
// the answer. Like the platform, it delivers the same message again (same
// MsgId) when the instance does not answer — here to the other instance,
// as a load balancer would once one is gone — until an answer comes.
func (c *cluster) turn(cv *conversation, n int, text string, photo bool) string {
	c.t.Helper()
	calls, err := app.NewSignedCallbacks(c.config(), "")
	if err != nil {
		c.t.Fatal(err)
	}
	msgID := c.nextMsgID()
	target := (cv.first + n) % 2
	for attempt := range 120 {
		in := c.instances[(target+attempt)%2]
		var req *http.Request
		if photo {
			req, err = calls.Image(in.url()+"/wechat/oa", cv.openid, cv.mediaID, "https://mmbiz.example/"+cv.mediaID+".jpg", msgID, time.Now())
		} else {
			req, err = calls.Text(in.url()+"/wechat/oa", cv.openid, text, msgID, time.Now())
		}
		if err != nil {
			c.t.Fatal(err)
		}
		resp, err := c.client.Do(req)
		if err == nil {
			reply, rerr := calls.ReplyText(resp)
			if rerr == nil && reply != "" {
				return reply
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	// Errorf, not Fatalf: turns run on the workers' goroutines, and a
	// worker that stopped would leave the others waiting on it.
	c.t.Errorf("%s: no answer to %q from either instance", cv.openid, text)
	return ""
}

// uploadPhoto puts a small JPEG of its own on the fake platform, as the
// phone does before the image message arrives, and returns its media id.
func (c *cluster) uploadPhoto(i int) string {
	c.t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for x := range 32 {
		for y := range 32 {
			img.Set(x, y, color.RGBA{uint8(i), uint8(x * 8), uint8(y * 8), 255})
		}
	}
	var pic bytes.Buffer
	if err := jpeg.Encode(&pic, img, nil); err != nil {
		c.t.Fatal(err)
	}
	cfg := c.config()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.getJSON(c.fakeBase+"/cgi-bin/token?grant_type=client_credential&appid="+url.QueryEscape(cfg.WeChat.AppID)+
		"&secret="+url.QueryEscape(cfg.WeChat.AppSecret), &tok)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("media", fmt.Sprintf("visit-%d.jpg", i))
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(pic.Bytes())
	mw.Close()
	resp, err := c.client.Post(c.fakeBase+"/cgi-bin/media/upload?type=image&access_token="+tok.AccessToken, mw.FormDataContentType(), &body)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var up struct {
		MediaID string `json:"media_id"`
		Errcode int    `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&up); err != nil || up.MediaID == "" {
		c.t.Fatalf("upload a photo to the fake platform: %+v %v", up, err)
	}
	return up.MediaID
}

func (c *cluster) getJSON(u string, v any) {
	c.t.Helper()
	resp, err := c.client.Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		c.t.Fatalf("GET %s: %v", u, err)
	}
}

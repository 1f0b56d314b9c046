package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
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

	"github.com/go-sql-driver/mysql"

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
	killed := make(chan struct{})
	go func() {
		for done.Load() < conversations/3 {
			time.Sleep(20 * time.Millisecond)
		}
		c.instances[0].kill()
		c.instances[0] = c.start(0, c.instances[0].port)
		c.waitReady(c.instances[0])
		// The day of the quarter's first reminder stage, so the planner has
		// reminders to send to the cadres who are still reporting.
		now := time.Now().In(clock.China)
		quarterEnd := time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+4), 1, 0, 0, 0, 0, clock.China).AddDate(0, 0, -1)
		c.run("remind", "--at", quarterEnd.AddDate(0, 0, -14).Format("2006-01-02"))
		close(killed)
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
	<-killed

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
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
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
	c.t.Fatalf("%s: no answer to %q from either instance", cv.openid, text)
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

// checkPhotos waits until every photo of the run is fetched from the
// platform (by one instance: at most one fetch per photo), then reads each
// through both instances' console.
func (c *cluster) checkPhotos(db *sql.DB, since time.Time, want int, password string) {
	c.t.Helper()
	// A fetch claimed by the killed instance stays leased for its lease
	// (two minutes, supervision.photoLease) before another instance takes
	// it over: wait that long and a little more.
	var pending int
	for deadline := time.Now().Add(150 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if err := db.QueryRow(`SELECT COUNT(*) FROM photos WHERE created_at >= ? AND status <> 'stored'`, since).Scan(&pending); err != nil {
			c.t.Fatal(err)
		}
		if pending == 0 || time.Now().After(deadline) {
			break
		}
	}
	if pending != 0 {
		rows, err := db.Query(`SELECT id, status, attempts, next_attempt_at, lease_until IS NOT NULL, last_error FROM photos WHERE created_at >= ? AND status <> 'stored'`, since)
		if err != nil {
			c.t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var status, lastErr string
			var attempts int
			var next time.Time
			var leased bool
			if err := rows.Scan(&id, &status, &attempts, &next, &leased, &lastErr); err != nil {
				c.t.Fatal(err)
			}
			c.t.Errorf("photo %d never stored: %s after %d attempts, next %s, leased %v, last error %q",
				id, status, attempts, next.Format(time.TimeOnly), leased, lastErr)
		}
		rows.Close()
	}
	rows, err := db.Query(`SELECT id, sha256 FROM photos WHERE created_at >= ?`, since)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	type photo struct {
		id  int64
		sha string
	}
	var photos []photo
	for rows.Next() {
		var p photo
		if err := rows.Scan(&p.id, &p.sha); err != nil {
			c.t.Fatal(err)
		}
		photos = append(photos, p)
	}
	if len(photos) != want {
		c.t.Errorf("%d photos stored, want %d (one per report)", len(photos), want)
	}
	jar, _ := cookiejar.New(nil)
	console := &http.Client{Jar: jar}
	c.signIn(console, c.instances[0], password)
	for _, p := range photos {
		for _, in := range c.instances {
			// Sessions live in Redis: one sign-in serves both instances.
			resp, err := console.Get(in.url() + "/console/photos/" + strconv.FormatInt(p.id, 10))
			if err != nil {
				c.t.Fatal(err)
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || len(data) == 0 {
				c.t.Errorf("photo %d from instance %d: %d, %d bytes", p.id, in.index, resp.StatusCode, len(data))
			}
		}
	}
}

func (c *cluster) signIn(client *http.Client, in *instance, password string) {
	c.t.Helper()
	resp, err := client.Get(in.url() + "/console/login")
	if err != nil {
		c.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		c.t.Fatalf("the sign-in page has no CSRF field:\n%s", page)
	}
	resp, err = client.PostForm(in.url()+"/console/login", url.Values{
		"_csrf": {string(m[1])}, "username": {"ci-admin"}, "password": {password}})
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("sign in: %d", resp.StatusCode)
	}
}

// checkNotifications waits for the outbox to drain, then matches every row
// the service marked sent with what the fake platform delivered: exactly
// one delivery each.
func (c *cluster) checkNotifications(db *sql.DB) {
	c.t.Helper()
	var open int
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if err := db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')`).Scan(&open); err != nil {
			c.t.Fatal(err)
		}
		if open == 0 || time.Now().After(deadline) {
			break
		}
	}
	if open != 0 {
		c.t.Errorf("%d notifications still not sent", open)
	}
	var calls []struct {
		Path      string `json:"path"`
		To        string `json:"to"`
		Content   string `json:"content"`
		MsgID     int64  `json:"msgid"`
		Delivered bool   `json:"delivered"`
	}
	c.getJSON(strings.TrimSuffix(c.fakeBase, "/")+"/dev/wxapi/calls", &calls)
	delivered := func(match func(path, to, content string, msgID int64) bool) int {
		n := 0
		for _, k := range calls {
			if k.Delivered && match(k.Path, k.To, k.Content, k.MsgID) {
				n++
			}
		}
		return n
	}
	rows, err := db.Query(`SELECT id, sent_via, to_user, text, title, COALESCE(platform_msg_id, 0) FROM outbox WHERE status = 'sent'`)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	sent := 0
	for rows.Next() {
		var id, platformID int64
		var via, to, text, title string
		if err := rows.Scan(&id, &via, &to, &text, &title, &platformID); err != nil {
			c.t.Fatal(err)
		}
		sent++
		var n int
		switch via {
		case "template":
			// A repeat under the same client_msg_id is answered with the
			// first send's msgid and not delivered: count deliveries.
			n = delivered(func(path, toUser, _ string, msgID int64) bool {
				return strings.HasSuffix(path, "/message/template/send") && toUser == to && msgID == platformID
			})
		case "custom":
			body := text
			if body == "" {
				body = title
			}
			n = delivered(func(path, toUser, content string, _ int64) bool {
				return strings.HasSuffix(path, "/message/custom/send") && toUser == to && strings.Contains(content, body)
			})
		default:
			continue // robots and subscriptions: none in this run
		}
		if n != 1 {
			c.t.Errorf("notification %d (%s to %s) delivered %d times, want 1", id, via, to, n)
		}
	}
	if sent == 0 {
		c.t.Error("no notification was sent: the run proves nothing about them")
	}
}

func buildService(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "shianbao")
	// The go command that runs this test is on PATH (CI puts
	// /usr/local/go/bin there); a bare machine keeps it at /usr/local/go.
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = "/usr/local/go/bin/go"
	}
	cmd := exec.Command(goCmd, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// createDatabase makes a database of the test's own on the MySQL server of
// SHIANBAO_TEST_MYSQL_DSN and drops it afterwards.
func createDatabase(t *testing.T, dsn string) string {
	t.Helper()
	base, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("shianbao_test_two_%d", time.Now().UnixNano())
	admin := openDB(t, base.FormatDSN())
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name) })
	base.DBName = name
	return base.FormatDSN()
}

func openDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ParseTime, cfg.Loc = true, time.UTC
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

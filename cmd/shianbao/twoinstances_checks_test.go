package main

import (
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// What TestTwoInstances checks after the run, and the processes and databases it runs on.

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

package sim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/sim"
)

// pngBytes is the smallest PNG header the content sniffer knows.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00")

func (fx *fixture) upload(t *testing.T, data []byte) answer {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	w, _ := mw.CreateFormFile("media", "photo")
	w.Write(data)
	mw.Close()
	resp, err := fx.hc.Post(fx.base+"/sim/jsapi/upload", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: raw}
	json.Unmarshal(raw, &a.body)
	return a
}

// TestJSAPI: the ticket (once per lifetime, type=jsapi only, behind the
// access token), the stand-in wx's upload (pictures only, then served by
// media/get like any medium) and its script.
func TestJSAPI(t *testing.T) {
	fx := newFixture(t)
	tok := fx.token(t)
	a := fx.do(t, http.MethodGet, "/cgi-bin/ticket/getticket?type=jsapi&access_token="+tok, nil)
	ticket := a.str("ticket")
	if a.errcode() != 0 || !strings.HasPrefix(ticket, "FAKE_TICKET_") {
		t.Fatalf("getticket: %s", a.raw)
	}
	if again := fx.do(t, http.MethodGet, "/cgi-bin/ticket/getticket?type=jsapi&access_token="+tok, nil); again.str("ticket") != ticket || fx.f.TicketsIssued() != 1 {
		t.Errorf("a second getticket: %s, %d issued", again.raw, fx.f.TicketsIssued())
	}
	wantErrcode(t, fx.do(t, http.MethodGet, "/cgi-bin/ticket/getticket?type=wx_card&access_token="+tok, nil), 40097)
	wantErrcode(t, fx.do(t, http.MethodGet, "/cgi-bin/ticket/getticket?type=jsapi", nil), 41001)

	up := fx.upload(t, pngBytes)
	id := up.str("serverId")
	if up.errcode() != 0 || id == "" {
		t.Fatalf("upload: %s", up.raw)
	}
	if data, ct, ok := fx.f.Media(id); !ok || ct != "image/png" || !bytes.Equal(data, pngBytes) {
		t.Errorf("the upload is not a medium: %v %q", ok, ct)
	}
	got := fx.do(t, http.MethodGet, "/cgi-bin/media/get?media_id="+id+"&access_token="+tok, nil)
	if got.status != http.StatusOK || !bytes.Equal(got.raw, pngBytes) {
		t.Errorf("media/get of the upload: %d", got.status)
	}
	wantErrcode(t, fx.upload(t, []byte("not a picture")), 40004)

	js := fx.do(t, http.MethodGet, sim.FakeWXScriptPath, nil)
	if js.status != http.StatusOK || !bytes.Contains(js.raw, []byte("window.wx")) || !strings.Contains(js.header.Get("Content-Type"), "javascript") {
		t.Errorf("fakewx.js: %d %s", js.status, js.header.Get("Content-Type"))
	}
}

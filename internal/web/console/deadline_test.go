package console

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// deadlineWriter records the write deadline an export sets, as the
// server's connection would take it.
type deadlineWriter struct {
	*httptest.ResponseRecorder
	deadline time.Time
}

func (w *deadlineWriter) SetWriteDeadline(t time.Time) error { w.deadline = t; return nil }

// TestExportMovesWriteDeadline: an export's response gets minutes to be
// written, past the server's write timeout meant for pages, through the
// echo response the handlers write to.
func TestExportMovesWriteDeadline(t *testing.T) {
	w := &deadlineWriter{ResponseRecorder: httptest.NewRecorder()}
	e := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/console/businesses.xlsx", nil), w)
	before := time.Now()
	allowLongWrite(e)
	if w.deadline.Before(before.Add(exportWriteTime)) {
		t.Fatalf("write deadline %v, want %v from now", w.deadline, exportWriteTime)
	}
	// A writer without deadlines (a recorder) is left as it is.
	allowLongWrite(echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder()))
}

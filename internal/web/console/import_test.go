package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/web/webtest"
)

// TestConsoleImportJunk: a file of junk rows makes a page of the first
// errors and a count of the rest, not an error page as large as the file
// times the checks.
func TestConsoleImportJunk(t *testing.T) {
	a := webtest.Boot(t)
	hudai := a.SignIn(t, a.Hudai)
	hudai.Get("/console/import")
	const junk = 20_000
	file := "主体名称,统一社会信用代码,业态,等级,镇(街道)\n" + strings.Repeat("x\n", junk)
	hudai.Upload("/console/import", "businesses", "junk.csv", []byte(file))
	if hudai.Status != http.StatusUnprocessableEntity {
		t.Fatalf("junk preview = %d: %.300s", hudai.Status, hudai.Text())
	}
	if n := strings.Count(hudai.Body, `<tr data-row=`); n != registry.MaxListedErrors {
		t.Errorf("%d errors listed, want %d", n, registry.MaxListedErrors)
	}
	more := regexp.MustCompile(`另有 (\d+) 条错误未列出`).FindStringSubmatch(hudai.Text())
	total := regexp.MustCompile(`文件有 (\d+) 处错误`).FindStringSubmatch(hudai.Text())
	if more == nil || total == nil || len(more[1]) < 5 || len(total[1]) < 5 {
		t.Fatalf("the page does not count the errors it leaves out: %.600s", hudai.Text())
	}
	if len(hudai.Body) > 256<<10 {
		t.Errorf("error page of %d KB for a %d KB file", len(hudai.Body)>>10, len(file)>>10)
	}
}

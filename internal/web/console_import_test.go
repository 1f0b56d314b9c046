package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
)

// TestConsoleImportJunk: a file of junk rows makes a page of the first
// errors and a count of the rest, not an error page as large as the file
// times the checks.
func TestConsoleImportJunk(t *testing.T) {
	a := bootConsole(t)
	hudai := a.signIn(t, a.hudai)
	hudai.get("/console/import")
	const junk = 20_000
	file := "主体名称,统一社会信用代码,业态,等级,镇(街道)\n" + strings.Repeat("x\n", junk)
	hudai.upload("/console/import", "businesses", "junk.csv", []byte(file))
	if hudai.status != http.StatusUnprocessableEntity {
		t.Fatalf("junk preview = %d: %.300s", hudai.status, hudai.text())
	}
	if n := strings.Count(hudai.body, `<tr data-row=`); n != registry.MaxListedErrors {
		t.Errorf("%d errors listed, want %d", n, registry.MaxListedErrors)
	}
	more := regexp.MustCompile(`另有 (\d+) 条错误未列出`).FindStringSubmatch(hudai.text())
	total := regexp.MustCompile(`文件有 (\d+) 处错误`).FindStringSubmatch(hudai.text())
	if more == nil || total == nil || len(more[1]) < 5 || len(total[1]) < 5 {
		t.Fatalf("the page does not count the errors it leaves out: %.600s", hudai.text())
	}
	if len(hudai.body) > 256<<10 {
		t.Errorf("error page of %d KB for a %d KB file", len(hudai.body)>>10, len(file)>>10)
	}
}

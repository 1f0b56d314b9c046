package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// TestConsoleAuditHasChatChanges: a visit a cadre reports in chat is in
// the audit log of the business's town — on the page and in the export —
// and not in another town's.
func TestConsoleAuditHasChatChanges(t *testing.T) {
	a := bootConsole(t)
	ctx := context.Background()
	bs, _, err := a.Supervision.FindBusinesses(ctx, supervision.BusinessQuery{ScopePath: a.hudaiTown.Path, Status: registry.StatusOperating, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var biz supervision.BusinessLine
	for _, b := range bs {
		if b.CadreID != 0 {
			biz = b
			break
		}
	}
	if biz.ID == 0 {
		t.Fatal("no packed business in 胡埭镇")
	}
	v, _, err := a.Supervision.Submit(ctx, quickReport(a.App, biz.ID, biz.CadreID))
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("visit %d:", v.ID)
	cadre := fmt.Sprintf("cadre:%d", biz.CadreID)

	hudai := a.signIn(t, a.hudai)
	hudai.get("/console/audit?action=visit.submit")
	if hudai.status != 200 || !strings.Contains(hudai.text(), line) || !strings.Contains(hudai.text(), cadre) {
		t.Fatalf("胡埭镇's audit log lacks the chat report %q by %s: %.600s", line, cadre, hudai.text())
	}
	hudai.get("/console/audit.xlsx?action=visit.submit")
	if sheet := conXLSXText([]byte(hudai.body)); !strings.Contains(sheet, line) {
		t.Errorf("the export lacks it: %.400s", sheet)
	}
	lihu := a.signIn(t, a.lihu)
	for _, path := range []string{"/console/audit?action=visit.submit", "/console/audit.xlsx?action=visit.submit"} {
		lihu.get(path)
		if body := lihu.body + conXLSXText([]byte(lihu.body)); lihu.status != 200 || strings.Contains(body, line) {
			t.Errorf("%s as 蠡湖街道 = %d, shows 胡埭镇's report: %v", path, lihu.status, strings.Contains(body, line))
		}
	}
}

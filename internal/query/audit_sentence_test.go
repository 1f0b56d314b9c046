package query_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/shianbao/shianbao/internal/query"
)

var storedCode = regexp.MustCompile(`\b[a-z]+:[0-9]+\b|\b[a-z]+\.[a-z_]+\b|undefined|NaN`)

// TestAuditSentences: every entry reads as one Chinese sentence with the
// names of the people and businesses it is about — never the stored codes
// — and the filters find entries by a person's and a business's name.
func TestAuditSentences(t *testing.T) {
	e := newEnv(t)
	var bizName string
	e.d.Gorm(e.ctx).Raw(`SELECT name FROM businesses WHERE id = ?`, e.town.Business).Scan(&bizName)
	var to struct {
		ID   int64
		Name string
	}
	e.d.Gorm(e.ctx).Raw(`SELECT c.id, c.name FROM cadres c JOIN regions r ON r.id = c.region_id WHERE r.path LIKE ? AND c.id <> ? ORDER BY c.id LIMIT 1`,
		e.town.Path+"%", e.town.Cadre).Scan(&to)
	var town string
	e.d.Gorm(e.ctx).Raw(`SELECT name FROM regions WHERE id = ?`, e.town.ID).Scan(&town)
	e.exec(t, `INSERT INTO console_users (username, name, role, region_id, password_hash, created_at, password_changed_at)
 VALUES ('qinwm', '秦文梅', 'manager', ?, 'x', ?, ?)`, e.town.ID, at.UTC(), at.UTC())
	entry := func(actor, action, subjectType string, subjectID int64, detail string) {
		t.Helper()
		e.exec(t, `INSERT INTO audit_log (at, actor, action, subject_type, subject_id, detail, scope_path, also_scope_path)
 VALUES (?, ?, ?, ?, ?, ?, ?, '')`, at.UTC(), actor, action, subjectType, subjectID, detail, e.town.Path)
	}
	cadre := fmt.Sprintf("cadre:%d", e.town.Cadre)
	entry("user:qinwm", "cadre.handover", "cadre", e.town.Cadre, fmt.Sprintf("to cadre %d, 6 businesses; 调岗", to.ID))
	entry("user:qinwm", "assignment.change", "business", e.town.Business, fmt.Sprintf("cadre %d → %d; 片区调整", e.town.Cadre, to.ID))
	entry(cadre, "visit.submit", "business", e.town.Business, "visit 9: onsite 2026Q1, 2 findings, status seen suspended")
	entry(cadre, "rectification.extend", "business", e.town.Business, "rectification 3 (finding 4) deadline to 2026-03-20; 配件未到")
	entry("user:qinwm", "code.issue", "binding_code", 999, fmt.Sprintf("kind=code role=cadre subject=%d expires=2026-03-09T09:00:00+08:00", to.ID))
	entry("user:qinwm", "visit.uncount", "business", e.town.Business, "takes visit 9 off coverage: 照片与其他主体重复")
	entry("user:qinwm", "some.new_thing", "business", e.town.Business, "whatever cadre:12 said")

	lines, total, err := e.q.AuditLines(e.ctx, query.AuditFilter{Limit: 50}, query.AuditScope{Path: e.town.Path})
	if err != nil || total != 7 {
		t.Fatalf("audit lines: %d %v", total, err)
	}
	want := []string{
		fmt.Sprintf("%s食安办 秦文梅 将 6 家主体从 %s 移交给 %s（原因：调岗）", town, e.town.CadreName, to.Name),
		fmt.Sprintf("%s食安办 秦文梅 将 「%s」 的包保干部从 %s 调整为 %s（原因：片区调整）", town, bizName, e.town.CadreName, to.Name),
		fmt.Sprintf("%s 提交了 「%s」 的现场督导（2026年第一季度），发现问题 2 项，现场所见：停产停业", e.town.CadreName, bizName),
		fmt.Sprintf("%s 将 「%s」 的整改期限延至 2026年3月20日（原因：配件未到）", e.town.CadreName, bizName),
		fmt.Sprintf("%s食安办 秦文梅 为 %s（包保干部） 生成绑定码，有效期至 2026年3月9日 09:00", town, to.Name),
		fmt.Sprintf("%s食安办 秦文梅 抽查认定 「%s」 的一次督导记录不属实，不计入覆盖（原因：照片与其他主体重复）", town, bizName),
		fmt.Sprintf("%s食安办 秦文梅 其他操作（「%s」）", town, bizName),
	}
	got := map[string]bool{}
	for _, l := range lines {
		got[l.Sentence] = true
		if m := storedCode.FindString(l.Sentence + l.Who.Label() + l.ActionLabel + l.Subject); m != "" {
			t.Errorf("line %q shows the code %q", l.Sentence, m)
		}
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no line says %q; lines: %v", w, got)
		}
	}

	t.Run("Filters", func(t *testing.T) {
		actors, err := e.q.ActorsNamed(e.ctx, "秦文", e.town.Path)
		if err != nil || len(actors) != 1 || actors[0] != "user:qinwm" {
			t.Fatalf("people named 秦文: %v %v", actors, err)
		}
		ids, err := e.q.BusinessesNamed(e.ctx, bizName, e.town.Path)
		if err != nil || len(ids) == 0 {
			t.Fatalf("businesses named %s: %v %v", bizName, ids, err)
		}
		n := func(f query.AuditFilter) int64 {
			t.Helper()
			_, total, err := e.q.AuditLines(e.ctx, f, query.AuditScope{Path: e.town.Path})
			if err != nil {
				t.Fatal(err)
			}
			return total
		}
		if got := n(query.AuditFilter{Actors: actors}); got != 5 {
			t.Errorf("秦文梅's entries = %d, want 5", got)
		}
		if got := n(query.AuditFilter{SubjectType: "business", SubjectIDs: ids}); got != 5 {
			t.Errorf("the business's entries = %d, want 5", got)
		}
		if got := n(query.AuditFilter{Actors: []string{}}); got != 0 {
			t.Errorf("nobody's entries = %d, want none", got)
		}
		if other, _ := e.q.ActorsNamed(e.ctx, "秦文", e.other.Path); len(other) != 0 {
			t.Errorf("another town finds %v", other)
		}
		if odd, err := e.q.ActorsNamed(e.ctx, "%_!", e.town.Path); err != nil || len(odd) != 0 {
			t.Errorf("a name of LIKE signs matches %v %v", odd, err)
		}
	})
}

package supervision

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shianbao/shianbao/internal/clock"
)

// Findings that teach (issue 18): each checklist item names a short
// knowledge text that explains it (configs/knowledge/<key>.md). A business
// with a problem on an item receives the text with the finding (the
// prompt letter carries it, and a message points to it), and its daily
// control (日管控) puts the item first until the rectification is closed
// (OpenFindingsOf).

// Article is a short knowledge text: a title and a few paragraphs.
type Article struct {
	Key        string
	Title      string
	Paragraphs []string
}

// Summary is the article's first paragraph, for a message.
func (a Article) Summary() string {
	if len(a.Paragraphs) == 0 {
		return ""
	}
	return a.Paragraphs[0]
}

var articleKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// maxArticle keeps a text short enough to read on a phone in a minute.
const maxArticle = 600

// LoadArticles reads every <key>.md of dir in fsys: a first line
// "# 标题", then paragraphs separated by blank lines. Every problem is
// reported at once.
func LoadArticles(fsys fs.FS, dir string) (map[string]Article, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.md"))
	if err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	var problems []string
	out := map[string]Article{}
	for _, name := range names {
		key := strings.TrimSuffix(path.Base(name), ".md")
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("knowledge: %w", err)
		}
		a, problem := parseArticle(key, string(data))
		if problem != "" {
			problems = append(problems, name+": "+problem)
			continue
		}
		out[key] = a
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("knowledge: %s", strings.Join(problems, "; "))
	}
	return out, nil
}

func parseArticle(key, text string) (Article, string) {
	if !articleKeyPattern.MatchString(key) {
		return Article{}, "the file name should be lower-case letters, digits and _"
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	title, body, _ := strings.Cut(strings.TrimSpace(text), "\n")
	if !strings.HasPrefix(title, "# ") || strings.TrimSpace(title[2:]) == "" {
		return Article{}, "the first line should be the title: # 标题"
	}
	a := Article{Key: key, Title: strings.TrimSpace(title[2:])}
	for _, p := range strings.Split(body, "\n\n") {
		if p = strings.Join(strings.Fields(p), ""); p != "" {
			a.Paragraphs = append(a.Paragraphs, p)
		}
	}
	if len(a.Paragraphs) == 0 {
		return Article{}, "no text under the title"
	}
	if n := utf8.RuneCountInString(strings.Join(a.Paragraphs, "")); n > maxArticle {
		return Article{}, fmt.Sprintf("%d characters; keep it under %d", n, maxArticle)
	}
	return a, ""
}

// WithArticles gives the checklist its knowledge texts. Every item must
// name one of them; the problems are reported at once.
func (cl *Checklists) WithArticles(arts map[string]Article) error {
	var problems []string
	for _, it := range cl.items {
		switch _, ok := arts[it.Article]; {
		case it.Article == "":
			problems = append(problems, fmt.Sprintf("item %s: no article", it.ID))
		case !ok:
			problems = append(problems, fmt.Sprintf("item %s: no knowledge/%s.md", it.ID, it.Article))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("checklists: %s", strings.Join(problems, "; "))
	}
	cl.articles = arts
	return nil
}

// ArticleFor is the knowledge text that explains an item; ok is false for
// an item without one (an item no longer listed, a checklist loaded
// without texts).
func (cl *Checklists) ArticleFor(itemID string) (Article, bool) {
	it, ok := cl.Item(itemID)
	if !ok {
		return Article{}, false
	}
	a, ok := cl.articles[it.Article]
	return a, ok
}

// OpenFinding is a problem a business has yet to rectify, with the text
// that explains it.
type OpenFinding struct {
	RectificationID int64
	ItemID          string
	Label           string
	Description     string
	// Deadline is a day in clock.China.
	Deadline time.Time
	Article  *Article
}

// OpenFindingsOf lists the business's open rectifications, earliest
// deadline first, one per item (the earliest): what its daily control
// should look at first. One query.
func (s *Service) OpenFindingsOf(ctx context.Context, businessID int64) ([]OpenFinding, error) {
	var rows []struct {
		ID                             int64
		ItemID, Description, CheckKind string
		Deadline                       time.Time
	}
	err := s.db.Gorm(ctx).Raw(`SELECT r.id, f.item_id, f.description, v.check_kind, r.deadline
		FROM rectifications r JOIN findings f ON f.id = r.finding_id JOIN visits v ON v.id = f.visit_id
		WHERE r.business_id = ? AND r.status = ? ORDER BY r.deadline, r.id`, businessID, StatusOpen).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open findings: %w", err)
	}
	var out []OpenFinding
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.ItemID] {
			continue
		}
		seen[r.ItemID] = true
		f := OpenFinding{RectificationID: r.ID, ItemID: r.ItemID, Label: s.lists.Label(r.ItemID, r.CheckKind),
			Description: r.Description, Deadline: r.Deadline.In(clock.China)}
		if a, ok := s.lists.ArticleFor(r.ItemID); ok {
			f.Article = &a
		}
		out = append(out, f)
	}
	return out, nil
}

package supervision_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/shianbao/shianbao/internal/supervision"
)

func TestShippedItemsTeach(t *testing.T) {
	cl, err := supervision.DefaultChecklists()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range cl.All() {
		a, ok := cl.ArticleFor(it.ID)
		if !ok || a.Title == "" || a.Summary() == "" {
			t.Errorf("item %s (%s) has no knowledge text: %+v", it.ID, it.Label, a)
		}
	}
}

func TestLoadArticles(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		fs := fstest.MapFS{"k/wash.md": {Data: []byte("# 洗手\n\n饭前便后\n要洗手。\n\n用肥皂。\n")}}
		arts, err := supervision.LoadArticles(fs, "k")
		if err != nil {
			t.Fatal(err)
		}
		a := arts["wash"]
		if a.Title != "洗手" || len(a.Paragraphs) != 2 || a.Paragraphs[0] != "饭前便后要洗手。" {
			t.Errorf("article = %+v", a)
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		fs := fstest.MapFS{
			"k/no_title.md": {Data: []byte("没有标题\n")},
			"k/Bad-Name.md": {Data: []byte("# 标题\n\n正文\n")},
			"k/empty.md":    {Data: []byte("# 只有标题\n")},
			"k/long.md":     {Data: []byte("# 太长\n\n" + strings.Repeat("字", 700))},
		}
		_, err := supervision.LoadArticles(fs, "k")
		if err == nil {
			t.Fatal("bad articles loaded")
		}
		for _, want := range []string{"no_title.md", "Bad-Name.md", "empty.md", "long.md"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not name %s: %v", want, err)
			}
		}
	})
	t.Run("ItemWithoutArticle", func(t *testing.T) {
		cl, err := supervision.LoadChecklists([]byte("items:\n  - id: a\n    label: 甲\n    article: missing\n    categories: [all]\n  - id: b\n    label: 乙\n    categories: [all]\nquick: [a]\n"))
		if err != nil {
			t.Fatal(err)
		}
		err = cl.WithArticles(map[string]supervision.Article{})
		if err == nil || !strings.Contains(err.Error(), "item a: no knowledge/missing.md") || !strings.Contains(err.Error(), "item b: no article") {
			t.Errorf("WithArticles = %v", err)
		}
	})
}

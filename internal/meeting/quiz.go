package meeting

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shianbao/shianbao/configs"
)

// Quiz limits: a quiz is short enough to answer in one chat message.
const (
	minQuestions = 3
	maxQuestions = 10
	maxOptions   = 4
)

// Quiz is a short single-choice test.
type Quiz struct {
	ID        string     `yaml:"id"`
	Title     string     `yaml:"title"`
	Pass      int        `yaml:"pass"`
	Questions []Question `yaml:"questions"`
}

// Question is one single-choice question; Answer is the correct option's
// letter (A–D).
type Question struct {
	Q       string   `yaml:"q"`
	Options []string `yaml:"options"`
	Answer  string   `yaml:"answer"`
}

// Quizzes are the quizzes of configs/quizzes.yaml, in file order.
type Quizzes struct {
	list []Quiz
	byID map[string]int
}

// LoadQuizzes parses and checks a quiz file: ids unique, 3–10 questions
// each with 2–4 options and a valid answer, a pass mark within the
// questions. Every problem is reported at once.
func LoadQuizzes(data []byte) (*Quizzes, error) {
	var f struct {
		Quizzes []Quiz `yaml:"quizzes"`
	}
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("quizzes: %w", err)
	}
	qs := &Quizzes{byID: map[string]int{}}
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	for i, q := range f.Quizzes {
		q.ID = strings.TrimSpace(q.ID)
		switch {
		case q.ID == "" || len(q.ID) > 64:
			bad("quiz %d: id must be 1 to 64 bytes", i+1)
		case qs.byID[q.ID] > 0:
			bad("quiz %s: id used twice", q.ID)
		}
		if strings.TrimSpace(q.Title) == "" {
			bad("quiz %s: no title", q.ID)
		}
		if n := len(q.Questions); n < minQuestions || n > maxQuestions {
			bad("quiz %s: %d questions (%d to %d)", q.ID, n, minQuestions, maxQuestions)
		}
		if q.Pass < 1 || q.Pass > len(q.Questions) {
			bad("quiz %s: pass %d outside 1…%d", q.ID, q.Pass, len(q.Questions))
		}
		for j, qu := range q.Questions {
			if strings.TrimSpace(qu.Q) == "" {
				bad("quiz %s question %d: no text", q.ID, j+1)
			}
			if len(qu.Options) < 2 || len(qu.Options) > maxOptions {
				bad("quiz %s question %d: %d options (2 to %d)", q.ID, j+1, len(qu.Options), maxOptions)
			}
			a := strings.ToUpper(strings.TrimSpace(qu.Answer))
			if len(a) != 1 || a[0] < 'A' || int(a[0]-'A') >= len(qu.Options) {
				bad("quiz %s question %d: answer %q is not one of its options", q.ID, j+1, qu.Answer)
			}
			q.Questions[j].Answer = a
		}
		qs.list = append(qs.list, q)
		qs.byID[q.ID] = len(qs.list)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("quizzes: %s", strings.Join(problems, "; "))
	}
	return qs, nil
}

// DefaultQuizzes loads the quizzes shipped in configs/quizzes.yaml.
func DefaultQuizzes() (*Quizzes, error) {
	data, err := configs.FS.ReadFile("quizzes.yaml")
	if err != nil {
		return nil, err
	}
	return LoadQuizzes(data)
}

// Get is the quiz of id.
func (qs *Quizzes) Get(id string) (*Quiz, bool) {
	i := qs.byID[id]
	if i == 0 {
		return nil, false
	}
	q := qs.list[i-1]
	return &q, true
}

// All are the quizzes in file order.
func (qs *Quizzes) All() []Quiz { return append([]Quiz(nil), qs.list...) }

// Score marks answers ("ABCA", spaces, commas and lower case allowed) and
// reports the normalised answers, the number right and whether that
// passes. Invalid when the number of answers is not the number of
// questions or an answer is not an option.
func (q *Quiz) Score(answers string) (norm string, right int, passed bool, err error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(answers) {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'Ａ' && r <= 'Ｚ':
			b.WriteRune(r - 'Ａ' + 'A')
		case r == ' ' || r == ',' || r == '，' || r == '、' || r == '.' || r == '。':
		default:
			return "", 0, false, errInvalid(msgQuizBadAnswers, len(q.Questions))
		}
	}
	norm = b.String()
	if len(norm) != len(q.Questions) {
		return "", 0, false, errInvalid(msgQuizBadAnswers, len(q.Questions))
	}
	for i, qu := range q.Questions {
		if int(norm[i]-'A') >= len(qu.Options) {
			return "", 0, false, errInvalid(msgQuizBadOption, i+1, string(rune('A'+len(qu.Options)-1)))
		}
		if norm[i] == qu.Answer[0] {
			right++
		}
	}
	return norm, right, right >= q.Pass, nil
}

// Text is the quiz as one chat message: numbered questions with lettered
// options.
func (q *Quiz) Text() string {
	var b strings.Builder
	b.WriteString("【" + q.Title + "】")
	fmt.Fprintf(&b, "共%d题，答对%d题及格。\n", len(q.Questions), q.Pass)
	for i, qu := range q.Questions {
		fmt.Fprintf(&b, "\n%d. %s\n", i+1, qu.Q)
		for j, o := range qu.Options {
			fmt.Fprintf(&b, "  %c. %s\n", 'A'+j, o)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

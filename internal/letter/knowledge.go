package letter

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// Findings that teach: a letter carries, after its findings, the short
// knowledge text of each checklist item it names (configs/knowledge), frozen
// with the rest of its content, and each contact it reaches also gets a
// message with the texts' titles and first lines, pointing to the letter.

// ArticleInfo is a knowledge text as a letter prints it.
type ArticleInfo struct {
	Title      string   `json:"title"`
	Paragraphs []string `json:"paragraphs"`
	// Items are the labels of the letter's findings it explains.
	Items []string `json:"items"`
}

// articles are the texts explaining the findings' items, each once, in
// the order of the findings.
func (s *Service) articles(findings []FindingInfo) []ArticleInfo {
	var out []ArticleInfo
	at := map[string]int{}
	for _, f := range findings {
		if f.ItemID == "" {
			continue
		}
		a, ok := s.sup.Checklists().ArticleFor(f.ItemID)
		if !ok {
			continue
		}
		i, seen := at[a.Key]
		if !seen {
			i = len(out)
			at[a.Key] = i
			out = append(out, ArticleInfo{Title: a.Title, Paragraphs: a.Paragraphs})
		}
		if f.Label != "" && !slices.Contains(out[i].Items, f.Label) {
			out[i].Items = append(out[i].Items, f.Label)
		}
	}
	return out
}

// maxKnowledgeInMessage keeps the message within a chat text's size.
const maxKnowledgeInMessage = 3

// knowledgeMessage is the message that brings a letter's knowledge texts to
// a contact; ok is false for a letter without any. A customer-service
// message: it follows the letter's template message, and outside the
// 48-hour window the outbox falls back to a template message.
func (s *Service) knowledgeMessage(l *Letter, c account.Contact) (notify.Message, bool) {
	if len(l.Content.Articles) == 0 {
		return notify.Message{}, false
	}
	var sb strings.Builder
	for i, a := range l.Content.Articles {
		// A chat message holds a few: the letter holds them all.
		if i == maxKnowledgeInMessage {
			fmt.Fprintf(&sb, textKnowledgeMore, len(l.Content.Articles)-i)
			break
		}
		fmt.Fprintf(&sb, textKnowledgeItem, a.Title, firstParagraph(a))
	}
	return notify.Message{
		Kind: "letter.knowledge", To: notify.Recipient{Kind: notify.ToContact, ID: c.ID}, Channel: notify.ChannelCustom,
		Subject: subject(l), Title: titleKnowledge,
		Text: fmt.Sprintf(textKnowledge, c.Name, l.Number, sb.String()),
		URL:  s.url(l, registry.ActorOf("contact", c.ID)),
	}, true
}

func firstParagraph(a ArticleInfo) string {
	if len(a.Paragraphs) == 0 {
		return ""
	}
	return a.Paragraphs[0]
}

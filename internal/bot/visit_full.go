package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/shianbao/shianbao/internal/registry"
)

// 全面 N (or 全面 店名) answers with the link to the business's full
// checklist on one H5 page: every task list says so, since a link per
// business would not fit a chat bubble. Typed in the middle of a report it
// is answered in passing and the report goes on (interrupt).

// fullFormRe is 全面 with a task number: the form that may interrupt a
// conversation (a bare 全面 is the check step's answer).
var fullFormRe = regexp.MustCompile(`^全面(检查)?[ 　:：]*([0-9０-９]{1,4})$`)

// cutFullForm reads 全面 N, 全面 店名, 全面检查表 N; ok is false for
// anything else.
func cutFullForm(text string) (ref string, ok bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(text), "全面")
	if !ok {
		return "", false
	}
	for _, w := range []string{"检查表", "检查"} {
		if r, cut := strings.CutPrefix(rest, w); cut {
			rest = r
			break
		}
	}
	return strings.TrimSpace(strings.TrimLeft(rest, " 　:：")), true
}

// fullForm answers 全面 N: the form's link for the cadre's N-th task (or
// the business the name names).
func (b *Bot) fullForm(ctx context.Context, u user, ref string) (string, error) {
	cadreID := u.cadreID()
	if cadreID == 0 {
		return msgCadresOnly, nil
	}
	fl, ok := b.links.(formLinker)
	if !ok {
		return msgFullFormOff, nil
	}
	if ref == "" {
		return msgFullFormHow, nil
	}
	biz, candidates, reason, err := b.findBusiness(ctx, cadreID, ref, b.shownTasks(ctx, u))
	switch {
	case err != nil:
		return "", err
	case len(candidates) > 0:
		names := make([]string, 0, len(candidates))
		for _, id := range candidates {
			c, err := b.registry.Business(ctx, id)
			if err != nil {
				return "", err
			}
			names = append(names, "· "+c.Name)
		}
		return fmt.Sprintf(msgFullFormMany, ref) + "\n" + strings.Join(names, "\n"), nil
	case biz == nil:
		return reason, nil
	}
	link := fl.VisitForm(biz.ID, registry.ActorOf("cadre", cadreID), b.clock.Now().Add(formLinkTTL))
	return fmt.Sprintf(msgFullFormLink, biz.Name, link, ref), nil
}

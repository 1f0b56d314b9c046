package bot

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/pledge"
	"github.com/shianbao/shianbao/internal/registry"
)

// cmdPledge asks for one's pledge (承诺书): a business contact gets its
// business's, a cadre its own, each as a card linking to the page where it
// is read and signed.
const cmdPledge = "承诺书"

// pledge answers 承诺书 with a card per pledge the user may sign.
func (b *Bot) pledge(ctx context.Context, u user) (chat.Outbound, error) {
	if b.pledges == nil {
		return chat.Say(msgPledgeOff), nil
	}
	var out chat.Outbound
	add := func(kind pledge.Kind, id int64, reader registry.Actor) error {
		r, err := b.pledges.Requirement(ctx, kind, id)
		if err != nil {
			return err
		}
		desc := fmt.Sprintf(msgPledgeUnsigned, r.Year, r.Reason())
		if r.Signed != nil {
			desc = fmt.Sprintf(msgPledgeSigned, r.Signed.SignedAt.In(clock.China).Format("2006年1月2日"), r.Signed.SignerName)
		}
		out.Articles = append(out.Articles, chat.Article{
			Title:       fmt.Sprintf(msgPledgeTitle, r.Content.Title, r.Name),
			Description: desc,
			URL:         b.pledges.URL(kind, id, reader),
		})
		return nil
	}
	c, err := b.contact(ctx, u)
	if err != nil {
		return chat.Outbound{}, err
	}
	if c != nil {
		if err := add(pledge.KindBusiness, c.BusinessID, registry.ActorOf("contact", c.ID)); err != nil {
			return chat.Outbound{}, err
		}
	}
	if id := u.cadreID(); id != 0 {
		if err := add(pledge.KindCadre, id, registry.ActorOf("cadre", id)); err != nil {
			return chat.Outbound{}, err
		}
	}
	if len(out.Articles) == 0 {
		return chat.Say(msgPledgeNobody), nil
	}
	return out, nil
}

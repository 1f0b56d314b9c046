package app

import (
	"github.com/shianbao/shianbao/internal/pledge"
)

// newPledges builds the pledges (承诺书) with the shipped texts
// (configs/pledges.yaml) and the configured reminders; it needs the media
// store for the drawn signatures.
func (s *Services) newPledges() error {
	tpl, err := pledge.DefaultTemplates()
	if err != nil {
		return err
	}
	p := s.Config.Pledge
	s.Pledges, err = pledge.NewService(pledge.Deps{
		DB: s.DB, Registry: s.Registry, Accounts: s.Accounts, Media: s.Media, Outbox: s.Notify, Links: s.links, Templates: tpl,
		Config: pledge.Config{SignerAfterDays: p.SignerAfterDays, CadreAfterDays: p.CadreAfterDays, OfficeAfterDays: p.OfficeAfterDays,
			LinkTTL: s.Config.Letter.LinkTTL},
		Clock: s.Clock,
	})
	return err
}

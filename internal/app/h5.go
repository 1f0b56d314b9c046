package app

import (
	"github.com/shianbao/shianbao/internal/web/h5"
)

// mountH5 serves the pages opened from WeChat: letters, cards, ledgers,
// visit receipts and the lists reminders link to. Readers are identified
// by WeChat web authorisation through the outbound client — in
// development the simulator's fake API plays the platform.
func (a *App) mountH5() error {
	access := h5.NewAccess(h5.AccessOptions{Links: a.links, Accounts: a.Accounts, OAuth: a.WeChat, Clock: a.Clock, Log: a.Log})
	return h5.Mount(a.Web, access,
		&h5.Letters{Letters: a.Letters, Media: a.Media},
		&h5.Cards{Cards: a.Cards},
		&h5.Ledger{SelfCheck: a.SelfCheck, Media: a.Media},
		&h5.Visits{Supervision: a.Supervision, Query: a.Query, Media: a.Media},
		&h5.Lists{Registry: a.Registry, Supervision: a.Supervision, Query: a.Query},
		a.visitForm(),
		&h5.Incidents{Incidents: a.Incidents, Media: a.Media, ConsoleURL: a.Config.HTTP.BaseURL},
		&h5.Pledges{Pledges: a.Pledges},
		&h5.Quiz{Meetings: a.Meetings},
	)
}

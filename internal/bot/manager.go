package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/query"
)

// scopeOf returns the region path a manager sees (their office's subtree)
// and its name; "" when the user is not a manager.
func (b *Bot) scopeOf(ctx context.Context, u user) (path, name string, err error) {
	id := u.managerID()
	if id == 0 {
		return "", "", nil
	}
	m, err := b.registry.Manager(ctx, id)
	if err != nil {
		return "", "", err
	}
	o, err := b.registry.Office(ctx, m.OfficeID)
	if err != nil {
		return "", "", err
	}
	r, err := b.registry.Region(ctx, o.RegionID)
	if err != nil {
		return "", "", err
	}
	return r.Path, r.Name, nil
}

// progress answers 进度: the current cycle's coverage in the manager's
// region, in total and by village — by town first when the region has
// several (a district office), the villages then on request (进度 村) —
// and the self-check rate; by cadre on request (paged).
func (b *Bot) progress(ctx context.Context, u user) (string, error) {
	path, name, err := b.scopeOf(ctx, u)
	if err != nil || path == "" {
		return msgManagersOnly, err
	}
	p, err := b.query.Progress(ctx, path)
	if err != nil {
		return "", err
	}
	towns := len(p.ByTown) > 1
	var sb strings.Builder
	fmt.Fprintf(&sb, msgProgressHeader, name, p.Cycle, p.Total.Covered, p.Total.Due, p.Total.Percent)
	rows, title, hint := p.ByVillage, msgProgressByVillage, msgProgressHint
	if towns {
		rows, title, hint = p.ByTown, msgProgressByTown, msgProgressTownsHint
	}
	if len(rows) > 0 {
		sb.WriteString(title)
		for _, r := range rows {
			sb.WriteString("\n" + coverageLine(r))
		}
	}
	rates, err := b.selfCheckRates(ctx, path, !towns)
	if err != nil {
		return "", err
	}
	sb.WriteString(rates)
	sb.WriteString(hint)
	return sb.String(), nil
}

// coverageLine is one row of a progress list.
func coverageLine(r query.CoverageRow) string {
	return fmt.Sprintf(msgCoverageLine, r.Name, r.Covered, r.Due, r.Percent)
}

// progressByVillage lists the villages of the manager's region (paged).
func (b *Bot) progressByVillage(ctx context.Context, u user, page int) (string, error) {
	return b.progressList(ctx, u, page, cmdProgressVillages, msgProgressVillages, "",
		func(p *query.Progress) []query.CoverageRow { return p.ByVillage })
}

// progressByCadre lists cadres, least covered first.
func (b *Bot) progressByCadre(ctx context.Context, u user, page int) (string, error) {
	return b.progressList(ctx, u, page, cmdProgressCadres, msgProgressByCadre, msgNoCadres,
		func(p *query.Progress) []query.CoverageRow { return p.ByCadre })
}

// progressList is one page of a list of the manager's progress figures,
// titled by title (the region's name and the cycle), or empty when the
// list has no rows and empty is set.
func (b *Bot) progressList(ctx context.Context, u user, page int, cmd, title, empty string,
	rows func(*query.Progress) []query.CoverageRow) (string, error) {
	path, name, err := b.scopeOf(ctx, u)
	if err != nil || path == "" {
		return msgManagersOnly, err
	}
	p, err := b.query.Progress(ctx, path)
	if err != nil {
		return "", err
	}
	lines := make([]string, 0, len(rows(p)))
	for _, r := range rows(p) {
		lines = append(lines, coverageLine(r))
	}
	if len(lines) == 0 && empty != "" {
		return empty, nil
	}
	return b.paged(ctx, u, cmd, fmt.Sprintf(title, name, p.Cycle), lines, page), nil
}

// overdue answers 逾期: businesses past their cycle without a visit.
func (b *Bot) overdue(ctx context.Context, u user, page int) (string, error) {
	path, name, err := b.scopeOf(ctx, u)
	if err != nil || path == "" {
		return msgManagersOnly, err
	}
	items, err := b.query.Overdue(ctx, path)
	if err != nil {
		return "", err
	}
	if len(items) == 0 {
		return fmt.Sprintf(msgNoOverdue, name), nil
	}
	lines := make([]string, 0, len(items))
	for i, it := range items {
		lines = append(lines, fmt.Sprintf("%d. %s（%s）— %s %s", i+1, it.BusinessName, it.Village, it.CadreName, it.CadreWorkPhone))
	}
	return b.paged(ctx, u, cmdOverdue, fmt.Sprintf(msgOverdueHeader, name, len(items)), lines, page), nil
}

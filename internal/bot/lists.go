package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// A long list (tasks, overdue businesses, cadres) is shown a page at a time;
// 下一页 continues the user's last list. The position is kept in kv for a
// while so it survives across instances.
const (
	pageSize = 10
	pageTTL  = 30 * time.Minute
)

type pageState struct {
	Cmd  string `json:"c"`
	Page int    `json:"p"`
	// IDs are the businesses 我的任务 numbered, in order: a number the
	// cadre replies with (1, 上报 1, 全面 1) is the one they saw, and
	// needs no second reading of the task list.
	IDs []int64 `json:"i,omitempty"`
}

func (b *Bot) pageKey(u user) string {
	return "bot:page:" + string(u.in.Channel) + ":" + userHash(u.in.UserID)
}

// paged renders page p (0-based) of lines under a header and remembers it.
func (b *Bot) paged(ctx context.Context, u user, cmd, header string, lines []string, p int, ids ...int64) string {
	pages := (len(lines) + pageSize - 1) / pageSize
	if p >= pages {
		p = pages - 1
	}
	if p < 0 {
		p = 0
	}
	end := min((p+1)*pageSize, len(lines))
	var sb strings.Builder
	sb.WriteString(header)
	for _, l := range lines[p*pageSize : end] {
		sb.WriteString("\n" + l)
	}
	if pages > 1 {
		fmt.Fprintf(&sb, msgPageFooter, p+1, pages)
		if p+1 < pages {
			sb.WriteString(msgPageNext)
		}
	}
	state, _ := json.Marshal(pageState{Cmd: cmd, Page: p, IDs: ids})
	if err := b.kv.Set(ctx, b.pageKey(u), string(state), pageTTL); err != nil {
		b.log.WarnContext(ctx, "remember page failed", "err", err.Error())
	}
	return sb.String()
}

// nextPage answers 下一页 by re-running the last list command one page on.
func (b *Bot) nextPage(ctx context.Context, u user) (string, error) {
	raw, err := b.kv.Get(ctx, b.pageKey(u))
	var st pageState
	if err != nil || json.Unmarshal([]byte(raw), &st) != nil || st.Cmd == "" {
		return msgNoNextPage, nil
	}
	return b.list(ctx, u, st.Cmd, st.Page+1)
}

// list renders one of the paged lists.
func (b *Bot) list(ctx context.Context, u user, cmd string, p int) (string, error) {
	switch cmd {
	case cmdTasks:
		return b.tasks(ctx, u, p)
	case cmdOverdue:
		return b.overdue(ctx, u, p)
	case cmdProgressCadres:
		return b.progressByCadre(ctx, u, p)
	case cmdProgressVillages:
		return b.progressByVillage(ctx, u, p)
	}
	return msgNoNextPage, nil
}

// lastList is the command of the user's last paged list ("" when none).
func (b *Bot) lastList(ctx context.Context, u user) string {
	return b.lastPage(ctx, u).Cmd
}

// lastPage is the user's last paged list (zero when none).
func (b *Bot) lastPage(ctx context.Context, u user) pageState {
	raw, err := b.kv.Get(ctx, b.pageKey(u))
	var st pageState
	if err != nil || json.Unmarshal([]byte(raw), &st) != nil {
		return pageState{}
	}
	return st
}

// shownTasks are the businesses of the cadre's last 我的任务, numbered as
// shown; nil when their last list was another.
func (b *Bot) shownTasks(ctx context.Context, u user) []int64 {
	if st := b.lastPage(ctx, u); st.Cmd == cmdTasks {
		return st.IDs
	}
	return nil
}

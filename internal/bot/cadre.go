package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/registry"
)

// Commands of the cadre and manager lists.
const (
	cmdTasks          = "我的任务"
	cmdReport         = "上报督导"
	cmdRecords        = "我的记录"
	cmdRectifications = "整改跟踪"
	cmdProgress       = "进度"
	cmdProgressCadres = "进度 干部"
	// cmdProgressVillages lists the villages of a district manager's towns.
	cmdProgressVillages = "进度 村"
	cmdOverdue          = "逾期"
	cmdNextPage         = "下一页"
)

// cadreOf returns the user's cadre id, or 0 when the user is not a cadre.
func (u user) cadreID() int64 {
	for _, id := range u.ids {
		if id.Role == account.RoleCadre {
			return id.SubjectID
		}
	}
	return 0
}

func (u user) managerID() int64 {
	for _, id := range u.ids {
		if id.Role == account.RoleManager {
			return id.SubjectID
		}
	}
	return 0
}

// tasks answers 我的任务: this cycle's uncovered businesses, overdue first.
func (b *Bot) tasks(ctx context.Context, u user, page int) (string, error) {
	cadreID := u.cadreID()
	if cadreID == 0 {
		return msgCadresOnly, nil
	}
	tasks, err := b.supervision.Tasks(ctx, cadreID)
	if err != nil {
		return "", err
	}
	if len(tasks) == 0 {
		return msgNoTasks, nil
	}
	overdue := 0
	lines := make([]string, 0, len(tasks))
	for i, t := range tasks {
		if t.Overdue {
			overdue++
		}
		lines = append(lines, fmt.Sprintf("%d. %s（%s，%s）", i+1, t.Name, t.Cycle.Label, taskDue(t)))
	}
	header := fmt.Sprintf(msgTasksHeader, len(tasks))
	if overdue > 0 {
		header += fmt.Sprintf(msgTasksOverdue, overdue)
	}
	return b.paged(ctx, u, cmdTasks, header, lines, page) + msgTasksHint, nil
}

// startVisit begins 上报督导 for a cadre, optionally with the business
// already chosen (scanning the shop's QR code).
func (b *Bot) startVisit(ctx context.Context, u user, businessID int64) (dialog.Reply, error) {
	cadreID := u.cadreID()
	if cadreID == 0 {
		return dialog.Reply{Text: msgCadresOnly, Done: true}, nil
	}
	st := &visitState{CadreID: cadreID}
	if businessID != 0 {
		biz, err := b.supervision.CheckCanReport(ctx, cadreID, businessID)
		if err != nil {
			return dialog.Reply{Text: userReason(err), Done: true}, nil
		}
		st.setBusiness(biz)
		st.Preselected = true
	}
	return b.dialog.StartFrom(ctx, dialogUser(u), flowVisit, st, inputOf(u.in))
}

// records answers 我的记录 with the cadre's recent visits.
func (b *Bot) records(ctx context.Context, u user) (string, error) {
	cadreID := u.cadreID()
	if cadreID == 0 {
		return msgCadresOnly, nil
	}
	vs, err := b.supervision.RecentVisits(ctx, cadreID, 5)
	if err != nil {
		return "", err
	}
	if len(vs) == 0 {
		return msgNoRecords, nil
	}
	var sb strings.Builder
	sb.WriteString(msgRecordsHeader)
	for _, v := range vs {
		fmt.Fprintf(&sb, "\n· %s %s（%s", v.SubmittedAt.In(clock.China).Format("1月2日"), v.BusinessName, v.Mode.Label())
		if v.Findings > 0 {
			fmt.Fprintf(&sb, "，问题%d项", v.Findings)
		}
		sb.WriteString("）")
		if b.links != nil {
			sb.WriteString("\n  " + b.links.VisitReceipt(v.ID, registry.ActorOf("cadre", cadreID), b.clock.Now().Add(linkTTL)))
		}
	}
	return sb.String(), nil
}

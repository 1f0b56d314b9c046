package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
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
	ids := make([]int64, 0, len(tasks))
	for i, t := range tasks {
		ids = append(ids, t.BusinessID)
		if t.Overdue {
			overdue++
		}
		if t.Overdue {
			lines = append(lines, fmt.Sprintf("%d. %s（%s）", i+1, t.Name, taskDue(t)))
			continue
		}
		lines = append(lines, fmt.Sprintf("%d. %s（%s，%s）", i+1, t.Name, t.Cycle.Label, taskDue(t)))
	}
	header := fmt.Sprintf(msgTasksHeader, len(tasks))
	if overdue > 0 {
		header += fmt.Sprintf(msgTasksOverdue, overdue)
	}
	hint := msgTasksHint
	if _, ok := b.links.(formLinker); ok {
		hint += msgTasksFormHint
	}
	return b.paged(ctx, u, cmdTasks, header, lines, page, ids...) + hint, nil
}

// startVisit begins 上报督导 for a cadre: text is the command, a bare
// 上报督导 or a whole report in one message (上报 和达 现场 合格);
// businessID, when not 0, is the business already chosen (scanning the
// shop's QR code). A report already started is offered first.
func (b *Bot) startVisit(ctx context.Context, u user, businessID int64, text string) (dialog.Reply, error) {
	cadreID := u.cadreID()
	if cadreID == 0 {
		return dialog.Reply{Text: msgCadresOnly, Done: true}, nil
	}
	return b.dialog.Begin(ctx, dialogUser(u), flowVisit, inputOf(u.in), text, func(ctx context.Context) (dialog.Opening, error) {
		return b.visitOpening(ctx, cadreID, businessID, text, b.shownTasks(ctx, u))
	})
}

// visitOpening is how a report starts: the business chosen (by a scanned
// QR code, or named in the message), and what the message said of it.
// shown are the businesses of the 我的任务 the cadre last saw, which a
// number in the message refers to (nil: the current task list).
func (b *Bot) visitOpening(ctx context.Context, cadreID, businessID int64, text string, shown []int64) (dialog.Opening, error) {
	q, _ := parseQuick(text)
	st := &visitState{CadreID: cadreID}
	o := dialog.Opening{State: st}
	switch {
	case businessID != 0:
		biz, err := b.supervision.CheckCanReport(ctx, cadreID, businessID)
		if err != nil {
			return dialog.Opening{Reply: &dialog.Reply{Text: userReason(err), Done: true}}, nil
		}
		if err := b.chooseBusiness(ctx, st, biz); err != nil {
			return o, err
		}
		st.Preselected = true
	case q.Ref != "":
		biz, candidates, reason, err := b.findBusiness(ctx, cadreID, q.Ref, shown)
		switch {
		case err != nil:
			return o, err
		case biz != nil:
			if err := b.chooseBusiness(ctx, st, biz); err != nil {
				return o, err
			}
			st.Preselected = true
		case len(candidates) > 0:
			st.Listed, st.Picking = candidates, q.Ref
		default:
			o.Prefix = reason
		}
	}
	if q.empty() {
		return o, nil
	}
	reason := ""
	if st.Category == "" {
		// The business is not known yet: the checklist answers wait.
		o.Answers, _ = q.answers(nil)
		if len(q.Issues) > 0 || q.AllOK {
			st.Pending = text
		}
		return o, nil
	}
	o.Answers, reason = q.answers(b.supervision.Checklists().Expected(supervision.CheckQuick, st.Category, st.Grade))
	if reason != "" {
		o.Prefix = reason
	}
	return o, nil
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

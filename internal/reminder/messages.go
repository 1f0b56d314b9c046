package reminder

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/registry"
)

// Text users see, in one place. Titles stay within the 20 characters a
// template field shows; Text is the whole message (customer-service and
// robot bodies, dry runs).
const (
	msgDueTitle   = "您有%d家包保主体待督导"
	msgDueText    = "%s，您好！%s的督导%s截止（%s），您包保的以下%d家主体本期尚未督导：\n%s\n请合理安排时间完成督导。"
	msgDueWhen    = "将于%s"
	msgLeftDays   = "还有%d天"
	msgLeftToday  = "今天截止"
	msgLeftTmrw   = "明天截止"
	msgMissedPrev = "上期未督导"

	msgOverdueTitle = "%d家包保主体督导已逾期"
	msgOverdueText  = "%s，您好！%s的督导已于%s截止，您包保的以下%d家主体尚未督导，已逾期%d天：\n%s\n请尽快安排督导。%s"
	msgOverdueNext  = "逾期%d天仍未督导的，将告知所在镇(街道)食安办；如有困难，请及时与食安办联系。"

	msgEscalationTitle = "%d家主体逾期未督导"
	msgEscalationText  = "%s：%s的督导已于%s截止，辖区内以下%d家主体逾期%d天仍未督导，请督促落实：\n%s"
	msgEscalationLine  = "%s（%s，包保干部：%s）"
	msgNoCadre         = "尚未分配包保干部"
	msgCadreInactive   = "（已停用）"

	msgWeeklyTitle    = "%s包保督导周报（第%d周）"
	msgWeeklyHead     = "**%s包保督导周报**（%d年第%d周）\n感谢各位包保干部的辛勤付出！"
	msgWeeklyTotal    = "%s%s已督导 %d 家，共 %d 家，完成 %s，%s。"
	msgWeeklyChildOf  = "%s进度："
	msgWeeklyLine     = "> %s：%d/%d（%s）"
	msgWeeklyDone     = "已有 %d 位干部完成本期全部督导任务。"
	msgWeeklyClose    = "请各位干部合理安排时间，按时完成督导；有困难请及时与食安办联系。"
	msgCycleEnds      = "距截止还有%d天"
	msgCycleEndsToday = "今天截止"
	msgCycleEnded     = "本期已截止"

	msgMonthlyTitle   = "%d年%d月包保督导月报"
	msgMonthlyHead    = "%s%d年%d月包保督导月报："
	msgMonthlyTotal   = "截至%s，%s已督导 %d/%d 家（%s）。"
	msgMonthlyOverdue = "逾期未督导：%d 家。"
	msgMonthlyRect    = "整改：当前进行中 %d 项，其中已超期 %d 项。"

	msgRectTitleSoon    = "%d项整改%s到期"
	msgRectTitleOverdue = "%d项整改已超期"
	msgRectCadreSoon    = "%s，您好！您包保主体的以下%d项整改%s（%s）到期，请及时复查：\n%s"
	msgRectCadreOverdue = "%s，您好！您包保主体的以下%d项整改已于%s到期，尚未复查销号，请尽快复查；确需延期的，请办理延期：\n%s"
	msgRectCadreLine    = "%s：%s——%s"
	msgRectBizSoon      = "%s：督导发现的以下问题整改期限为%s（%s），请按要求整改并保留整改记录，包保干部将进行复查：\n%s"
	msgRectBizOverdue   = "%s：督导发现的以下问题整改期限（%s）已过，请尽快整改，并及时与包保干部联系复查：\n%s"
	msgRectBizLine      = "%s：%s"
	msgMore             = "\n……另有%d%s，详见清单"
	msgToday            = "今天"
	msgTomorrow         = "明天"
)

// Labels of the regions one level below an office's, for its digest.
var childLabels = map[registry.RegionLevel]string{
	registry.LevelProvince: "各市", registry.LevelCity: "各区（县）", registry.LevelDistrict: "各镇（街道）", registry.LevelTown: "各村（社区）",
}

// day formats a date as "12月31日".
func day(t time.Time) string {
	t = t.In(clock.China)
	return fmt.Sprintf("%d月%d日", t.Month(), t.Day())
}

func percent(covered, due int) string {
	if due == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(covered)*100/float64(due), 'f', 1, 64) + "%"
}

func daysLeftText(n int) string {
	switch n {
	case 0:
		return msgLeftToday
	case 1:
		return msgLeftTmrw
	}
	return fmt.Sprintf(msgLeftDays, n)
}

func cycleEndsText(n int) string {
	switch {
	case n < 0:
		return msgCycleEnded
	case n == 0:
		return msgCycleEndsToday
	}
	return fmt.Sprintf(msgCycleEnds, n)
}

// maxListed is how many lines a message's text lists: a customer-service
// message holds about 2 KB and a group robot's 4 KB, so a longer list ends
// with a count and the H5 page (and a dry run's businesses) has the rest.
const maxListed = 30

// numbered lists lines as "1. …", at most maxListed of them; unit counts
// the rest ("家", "项").
func numbered(lines []string, unit string) string {
	var sb strings.Builder
	for i, l := range lines {
		if i == maxListed {
			sb.WriteString(fmt.Sprintf(msgMore, len(lines)-maxListed, unit))
			break
		}
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(strconv.Itoa(i + 1))
		sb.WriteString(". ")
		sb.WriteString(l)
	}
	return sb.String()
}

// soonText is "今天" or "明天" for a deadline 0 or 1 days away.
func soonText(daysLeft int) string {
	if daysLeft <= 0 {
		return msgToday
	}
	return msgTomorrow
}

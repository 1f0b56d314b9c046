package console

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/meeting"
	"github.com/shianbao/shianbao/internal/query"
	"github.com/shianbao/shianbao/internal/web"
	"github.com/shianbao/shianbao/internal/web/view"
)

// attendeeView is an attendee in the words a page, the export and the 签到表
// show.
type attendeeView struct {
	query.Attendee
	KindLabel string
	Key       string
	Status    string
	ReplyText string
	CheckedIn string
	Via       string
	Distance  string
	Quiz      string
	Result    string
}

// attendeeViews names each attendee's state; names are who checked
// someone in by hand.
func attendeeViews(people []query.Attendee, m *meeting.Meeting, now time.Time, names map[string]query.Person) []attendeeView {
	out := make([]attendeeView, len(people))
	for i, a := range people {
		v := attendeeView{Attendee: a, KindLabel: "包保主体", Key: fmt.Sprintf("%s-%d", a.Kind, a.SubjectID)}
		if a.Kind == string(meeting.PersonCadre) {
			v.KindLabel = "包保干部"
		}
		p := meeting.Person{Invited: a.Invited, Reply: a.Reply, CheckedInAt: a.CheckedInAt}
		v.Status = p.Status(m, now)
		switch a.Reply {
		case meeting.ReplyAccept:
			v.ReplyText = "参加"
		case meeting.ReplyExcused:
			v.ReplyText = "请假：" + a.Reason
		}
		if a.CheckedInAt != nil {
			v.CheckedIn = a.CheckedInAt.In(clock.China).Format("1月2日 15:04")
			v.Via = "扫码"
			if a.CheckinVia == meeting.ViaManual {
				v.Via = "手工（" + names[a.CheckinBy].Label() + "：" + a.CheckinReason + "）"
			}
		}
		if a.DistanceM != nil {
			v.Distance = fmt.Sprintf("%.0f米", *a.DistanceM)
		}
		if a.QuizScore != nil && a.QuizTotal != nil {
			v.Quiz = fmt.Sprintf("%d/%d", *a.QuizScore, *a.QuizTotal)
			if a.QuizPassed != nil && *a.QuizPassed {
				v.Quiz += " 及格"
			} else {
				v.Quiz += " 未及格"
			}
		}
		switch a.Result {
		case "passed":
			v.Result = "合格"
		case "issue":
			v.Result = "发现问题"
		}
		out[i] = v
	}
	return out
}

func (c *Meetings) attendees(e echo.Context, m *meeting.Meeting) ([]attendeeView, error) {
	list, err := c.Query.Attendees(e.Request().Context(), m.ID)
	if err != nil {
		return nil, err
	}
	var actors []string
	for _, a := range list {
		if a.CheckinBy != "" {
			actors = append(actors, a.CheckinBy)
		}
	}
	names, err := c.Query.People(e.Request().Context(), actors)
	if err != nil {
		return nil, err
	}
	return attendeeViews(list, m, c.clock.Now(), names), nil
}

// attendanceXLSX exports the attendance list.
func (c *Meetings) attendanceXLSX(e echo.Context) error {
	m, err := c.load(e)
	if err != nil {
		return err
	}
	rows, err := c.attendees(e, m)
	if err != nil {
		return err
	}
	sh := newSheet(e, exportName("签到表_"+m.Title, web.Scope(e).Name, c.clock.Now()), "签到表", []column{
		{"类别", 10}, {"姓名/主体", 26}, {"村(社区)", 14}, {"邀请", 8}, {"回复", 22}, {"状态", 12},
		{"签到时间", 16}, {"签到方式", 26}, {"距会场", 10}, {"测验", 12}, {"集中督导结果", 12}})
	for _, r := range rows {
		invited := "邀请"
		if !r.Invited {
			invited = "现场"
		}
		if err := sh.add(r.KindLabel, r.Name, r.Village, invited, r.ReplyText, r.Status, r.CheckedIn, r.Via, r.Distance, r.Quiz, r.Result); err != nil {
			sh.close()
			return err
		}
	}
	return sh.send()
}

type posterPage struct {
	M      *meeting.Meeting
	QR     template.URL
	Opens  string
	Closes string
}

// poster is the meeting's check-in QR code on an A4 sheet to put up at
// the venue. The code is made on the platform each time (valid until a
// day after the meeting, 30 days at most).
func (c *Meetings) poster(e echo.Context) error {
	m, err := c.load(e)
	if err != nil {
		return err
	}
	url, err := c.Meetings.QR(e.Request().Context(), web.ScopePath(e), m.ID)
	if err != nil {
		if errs.KindOf(err) == errs.Internal {
			return errs.Wrap(errs.Unavailable, err, msgMeetingQRFailed)
		}
		return err
	}
	img, err := view.QR(url, 720)
	if err != nil {
		return err
	}
	return c.printable(e, "meeting_poster", posterPage{M: m, QR: img,
		Opens: m.Opens().In(clock.China).Format("15:04"), Closes: m.Closes().In(clock.China).Format("15:04")})
}

type signSheetPage struct {
	M    *meeting.Meeting
	Rows []attendeeView
}

// signSheet is the printable 签到表: everyone invited or come, with the
// check-in time and a blank column for signatures.
func (c *Meetings) signSheet(e echo.Context) error {
	m, err := c.load(e)
	if err != nil {
		return err
	}
	rows, err := c.attendees(e, m)
	if err != nil {
		return err
	}
	return c.printable(e, "meeting_sheet", signSheetPage{M: m, Rows: rows})
}

// printable renders a standalone A4 page of the console's templates.
func (c *Meetings) printable(e echo.Context, name string, data any) error {
	e.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	e.Response().Header().Set("Cache-Control", "private, no-store")
	e.Response().WriteHeader(http.StatusOK)
	return c.pages.ExecuteTemplate(e.Response(), name, data)
}

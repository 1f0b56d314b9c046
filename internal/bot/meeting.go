package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/clock"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/meeting"
)

// Meetings in chat: scanning a meeting's QR code checks in (a location
// shared just before or after gives the distance to the venue), 参加 and
// 请假 理由 answer an invitation, 答题 shows the meeting's quiz and
// 答案 ABCA… answers it.

const (
	cmdAttend  = "参加"
	cmdExcuse  = "请假"
	cmdQuiz    = "答题"
	cmdAnswers = "答案"
)

// meetingScan checks the scanning user in to the meeting of the scene.
func (b *Bot) meetingScan(ctx context.Context, in chat.Inbound) (chat.Outbound, error) {
	ci, err := b.meetings.CheckInByScene(ctx, in.Channel, in.UserID, in.EventKey)
	if err != nil {
		out, herr := meetingError(err)
		if herr == nil && in.Event == chat.EventSubscribe && errs.Is(err, errs.Unauthorized) {
			out.Text += "\n\n" + msgWelcome
		}
		return out, herr
	}
	when := ci.At.In(clock.China).Format("15:04")
	if ci.Already {
		return chat.Say(sprintf(msgMeetingAlready, when, ci.Meeting.Title)), nil
	}
	var lines []string
	lines = append(lines, sprintf(msgMeetingCheckedIn, ci.Meeting.Title, when))
	if ci.Kind == meeting.PersonBusiness && ci.Business != "" {
		lines = append(lines, sprintf(msgMeetingForBusiness, ci.Business))
	}
	if ci.Walkin {
		lines = append(lines, msgMeetingWalkin)
	}
	switch {
	case ci.DistanceM != nil:
		lines = append(lines, sprintf(msgMeetingDistance, *ci.DistanceM))
	case ci.Meeting.Latitude != nil:
		lines = append(lines, msgMeetingShareLocation)
	}
	if ci.Quiz != nil {
		lines = append(lines, sprintf(msgMeetingQuizLater, ci.Quiz.Title))
	}
	return chat.Say(strings.Join(lines, "\n")), nil
}

// meetingLocation records a shared location for the distance of a
// check-in; the reply is empty unless it completed one.
func (b *Bot) meetingLocation(ctx context.Context, in chat.Inbound) (chat.Outbound, bool, error) {
	if b.meetings == nil {
		return chat.Outbound{}, false, nil
	}
	ci, err := b.meetings.NoteLocation(ctx, in.Channel, in.UserID, in.Latitude, in.Longitude)
	if err != nil || ci == nil || ci.DistanceM == nil {
		return chat.Outbound{}, false, err
	}
	return chat.Say(sprintf(msgMeetingDistanceNoted, ci.Meeting.Title, *ci.DistanceM)), true, nil
}

// meetingCommand answers 参加, 请假 理由, 答题 and 答案; ok is false for
// any other text.
func (b *Bot) meetingCommand(ctx context.Context, u user, text string) (chat.Outbound, bool, error) {
	if b.meetings == nil {
		return chat.Outbound{}, false, nil
	}
	rest := func(w string) string { return strings.TrimLeft(strings.TrimPrefix(text, w), " \u3000:：,，") }
	switch {
	case text == cmdAttend || text == "确认参加":
		r, err := b.meetings.Answer(ctx, u.in.Channel, u.in.UserID, true, "")
		if err != nil {
			out, err := meetingError(err)
			return out, true, err
		}
		return chat.Say(sprintf(msgMeetingAccepted, r.Meeting.Title, r.Meeting.When(), r.Meeting.Place)), true, nil
	case strings.HasPrefix(text, cmdExcuse):
		r, err := b.meetings.Answer(ctx, u.in.Channel, u.in.UserID, false, rest(cmdExcuse))
		if err != nil {
			out, err := meetingError(err)
			return out, true, err
		}
		return chat.Say(sprintf(msgMeetingExcused, r.Meeting.Title, r.Reason)), true, nil
	case text == cmdQuiz || text == "测验":
		m, q, err := b.meetings.QuizFor(ctx, u.in.Channel, u.in.UserID)
		if err != nil {
			out, err := meetingError(err)
			return out, true, err
		}
		return chat.Say(sprintf(msgMeetingQuiz, m.Title, q.Text(), len(q.Questions))), true, nil
	case strings.HasPrefix(text, cmdAnswers):
		a, q, err := b.meetings.TakeQuiz(ctx, u.in.Channel, u.in.UserID, rest(cmdAnswers))
		if err != nil {
			out, err := meetingError(err)
			return out, true, err
		}
		verdict := msgMeetingQuizPassed
		if !a.Passed {
			verdict = sprintf(msgMeetingQuizFailed, q.Pass)
		}
		var wrong []string
		for i, qu := range q.Questions {
			if a.Answers[i] != qu.Answer[0] {
				wrong = append(wrong, fmt.Sprintf("第%d题 正确答案%s", i+1, qu.Answer))
			}
		}
		text := sprintf(msgMeetingQuizScore, q.Title, a.Score, a.Total, verdict)
		if len(wrong) > 0 {
			text += "\n" + strings.Join(wrong, "；")
		}
		return chat.Say(text), true, nil
	}
	return chat.Outbound{}, false, nil
}

// meetingError is a meeting error in words; only internal errors go up.
func meetingError(err error) (chat.Outbound, error) {
	if errs.Is(err, errs.Unauthorized) {
		return chat.Say(errs.MessageOf(err)), nil
	}
	return userError(err)
}

package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/incident"
	"github.com/shianbao/shianbao/internal/registry"
)

// A manager moves an incident on from the phone, as the office's message
// says: 受理 12, 处置 12 …, 办结 12 处置结果 (the number is the incident's;
// what follows is the note). Scoped to the manager's office like the
// console; the reporter hears of it the same way.

// incidentSteps maps the words to the state they move an incident to.
var incidentStepWords = []struct {
	word string
	to   incident.State
}{{"受理", incident.Accepted}, {"开始处置", incident.Handling}, {"处置", incident.Handling}, {"办结", incident.Closed}}

// parseIncidentStep reads "受理 12 已派人" into the state, the id and the
// note; ok is false for anything else (受理 alone, 受理情况…).
func parseIncidentStep(text string) (to incident.State, id int64, note string, ok bool) {
	for _, w := range incidentStepWords {
		rest, found := strings.CutPrefix(text, w.word)
		if !found {
			continue
		}
		rest = strings.TrimLeft(rest, " \u3000:：")
		num, note, _ := strings.Cut(toASCIIDigits(rest)+" ", " ")
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n <= 0 {
			// "受理12" without a space, or "受理 12，已派人".
			rest = toASCIIDigits(rest)
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if n, err = strconv.ParseInt(rest[:i], 10, 64); err != nil || n <= 0 {
				return "", 0, "", false
			}
			note = rest[i:]
		}
		return w.to, n, strings.TrimSpace(strings.TrimLeft(note, " ，,:：")), true
	}
	return "", 0, "", false
}

// incidentStep answers a manager's 受理/处置/办结 N; ok is false when the
// text is not one.
func (b *Bot) incidentStep(ctx context.Context, u user, text string) (chat.Outbound, bool, error) {
	to, id, note, ok := parseIncidentStep(text)
	if !ok || b.incidents == nil {
		return chat.Outbound{}, false, nil
	}
	managerID := u.managerID()
	if managerID == 0 {
		return chat.Say(msgIncidentManagersOnly), true, nil
	}
	m, err := b.registry.Manager(ctx, managerID)
	if err != nil {
		return chat.Outbound{}, true, err
	}
	o, err := b.registry.Office(ctx, m.OfficeID)
	if err != nil {
		return chat.Outbound{}, true, err
	}
	region, err := b.registry.Region(ctx, o.RegionID)
	if err != nil {
		return chat.Outbound{}, true, err
	}
	inc, err := b.incidents.Advance(ctx, id, incident.Step{To: to, Note: note, Actor: registry.ActorOf("manager", managerID),
		ActorName: m.Name + "（" + o.Name + "）", ScopePath: region.Path})
	if err != nil {
		out, err := userError(err)
		return out, true, err
	}
	next := ""
	if v := inc.State.Verb(); v != "" {
		next = fmt.Sprintf(msgIncidentNext, inc.ID, v)
	}
	return chat.Say(fmt.Sprintf(msgIncidentStepped, inc.ID, orPlace(inc.BusinessName), inc.State.Label()) + next), true, nil
}

func orPlace(name string) string {
	if name == "" {
		return msgIncidentNoPlace
	}
	return name
}

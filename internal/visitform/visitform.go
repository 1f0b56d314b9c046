// Package visitform is the visit report as one form — what the H5 page
// shows and posts — and its mapping onto the chat's answers. The chat's
// visit flow (internal/bot) names its steps with the keys below and the
// page's form maps onto them here, so the page and the chat fill one draft
// (a dialog session) and either can finish it.
//
// It knows nothing of HTTP or WeChat: the bot serves the form on its flow,
// the web layer renders and posts it.
package visitform

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/dialog"
	"github.com/shianbao/shianbao/internal/registry"
	"github.com/shianbao/shianbao/internal/supervision"
)

// Step keys of the chat's visit flow: the answers the form reads and sets.
const (
	KeyBusiness   = "business"
	KeyMode       = "mode"
	KeyCheck      = "check"
	KeyLocation   = "location"
	KeyStatus     = "status"
	KeyStatusNote = "status_note"
	KeyContact    = "contact"
	KeyConfirm    = "confirm"
	KeyLetter     = "send_letter"
	// ItemPrefix + an item id is the item's result (ResultOK, …).
	ItemPrefix = "item:"
	// StatusNormal is the status answer "正常经营"; the others are
	// registry event kinds (changed, relocated, suspended).
	StatusNormal = "normal"
)

// Parts of an item's issue: IssueKey(id, PartDesc) and so on.
const (
	PartDesc     = "desc"
	PartPhoto    = "photo"
	PartDeadline = "deadline"
)

// Limits the page holds to, as the chat does.
const (
	MaxText    = 500 // runes of a description or a status note (the chat's free text)
	MaxContact = 32
	MaxPhotos  = 9 // photos of one item (what WeChat lets a user pick at once)
	maxMediaID = 128
)

// ItemKey is the key of an item's result.
func ItemKey(itemID string) string { return ItemPrefix + itemID }

// IssueKey is the key of a part of an item's issue.
func IssueKey(itemID, part string) string { return "issue:" + itemID + ":" + part }

// Who is the person filling the form: the chat user whose draft it is
// (channel and user id, as the chat knows them) and the cadre they are.
type Who struct {
	Channel chat.Channel
	UserID  string
	CadreID int64
}

// Form is the whole report as the page holds it.
type Form struct {
	// Mode is a supervision mode (onsite, online, centralized).
	Mode  string          `json:"mode"`
	Items map[string]Item `json:"items"`
	// Location is where the cadre was (JS-SDK getLocation); nil when not taken.
	Location *Location `json:"location,omitempty"`
	// Status is StatusNormal or a registry event kind; StatusNote says
	// what changed (the new address, for relocated).
	Status     string `json:"status"`
	StatusNote string `json:"statusNote"`
	Contact    string `json:"contact"`
	// Letter asks for a prompt letter to the business (with issues).
	Letter bool `json:"letter"`
}

// Item is one checklist item on the page.
type Item struct {
	// Result is a supervision result (ok, issue, na) or "" when not chosen.
	Result string `json:"result"`
	Desc   string `json:"desc,omitempty"`
	// Photos are WeChat media ids (uploadImage's serverId, or a photo
	// sent in the chat), fetched later as the chat's photos are.
	Photos []string `json:"photos,omitempty"`
	// Deadline is the day to rectify by, 2006-01-02; "" takes the default.
	Deadline string `json:"deadline,omitempty"`
}

// Location is a point on the map.
type Location struct {
	Lat   float64 `json:"lat"`
	Lng   float64 `json:"lng"`
	Label string  `json:"label,omitempty"`
}

// Read is the form a session's answers fill, for the given checklist.
func Read(s *dialog.Session, items []supervision.Item) Form {
	f := Form{Mode: string(supervision.ModeOnsite), Status: StatusNormal, Items: make(map[string]Item, len(items))}
	if v, ok := s.Answer(KeyMode); ok && v.Text != "" {
		f.Mode = v.Text
	}
	for _, it := range items {
		var fi Item
		if v, ok := s.Answer(ItemKey(it.ID)); ok {
			fi.Result = v.Text
		}
		fi.Desc = text(s, IssueKey(it.ID, PartDesc))
		if v, ok := s.Answer(IssueKey(it.ID, PartPhoto)); ok {
			for _, p := range v.Photos {
				fi.Photos = append(fi.Photos, p.MediaID)
			}
		}
		if v, ok := s.Answer(IssueKey(it.ID, PartDeadline)); ok && !v.Skipped && !v.Date.IsZero() {
			fi.Deadline = v.Date.Format(time.DateOnly)
		}
		f.Items[it.ID] = fi
	}
	if v, ok := s.Answer(KeyLocation); ok && v.Location != nil {
		f.Location = &Location{Lat: v.Location.Lat, Lng: v.Location.Lng, Label: v.Location.Label}
	}
	if v, ok := s.Answer(KeyStatus); ok && v.Text != "" {
		f.Status = v.Text
	}
	f.StatusNote = text(s, KeyStatusNote)
	f.Contact = text(s, KeyContact)
	if v, ok := s.Answer(KeyLetter); ok {
		f.Letter = v.Bool
	}
	return f
}

func text(s *dialog.Session, key string) string {
	v, ok := s.Answer(key)
	if !ok || v.Skipped {
		return ""
	}
	return v.Text
}

// Problem is something the page must show beside a field: Field is the
// field's id on the page (see Field), Text what is wrong, in Chinese.
type Problem struct {
	Field string `json:"field"`
	Text  string `json:"text"`
}

// Answers are the chat answers the form gives for the checklist items.
// A blank field removes the answer, so the chat asks it; with final (the
// page's 提交), blank optional fields are answered as the chat's 跳过;
// 确认 (KeyConfirm) is left to dialog.FillOptions.Confirm. Values the chat could not have taken (an
// unknown mode, a result, too long a text, a bad date) are returned as
// problems instead.
func (f Form) Answers(items []supervision.Item, final bool, loc *time.Location) (map[string]*dialog.Value, []Problem) {
	a := map[string]*dialog.Value{KeyCheck: {Text: supervision.CheckFull}}
	var problems []Problem
	bad := func(key, msg string) { problems = append(problems, Problem{Field: Field(key), Text: msg}) }
	skipped := &dialog.Value{Skipped: true}
	blank := func(key string) {
		a[key] = nil
		if final {
			a[key] = skipped
		}
	}
	switch supervision.Mode(f.Mode) {
	case supervision.ModeOnsite, supervision.ModeOnline, supervision.ModeCentralized:
		a[KeyMode] = &dialog.Value{Text: f.Mode}
	default:
		bad(KeyMode, msgMode)
	}
	for _, it := range items {
		fi := f.Items[it.ID]
		key := ItemKey(it.ID)
		switch supervision.Result(fi.Result) {
		case supervision.ResultOK, supervision.ResultIssue, supervision.ResultNA:
			a[key] = &dialog.Value{Text: fi.Result}
		case "":
			a[key] = nil
		default:
			bad(key, msgResult)
		}
		if fi.Result != string(supervision.ResultIssue) {
			continue
		}
		desc := strings.TrimSpace(fi.Desc)
		switch {
		case desc == "":
			a[IssueKey(it.ID, PartDesc)] = nil
		case utf8.RuneCountInString(desc) > MaxText:
			bad(IssueKey(it.ID, PartDesc), msgTooLong)
		default:
			a[IssueKey(it.ID, PartDesc)] = &dialog.Value{Text: desc}
		}
		switch photos, ok := photoValues(fi.Photos); {
		case !ok:
			bad(IssueKey(it.ID, PartPhoto), msgPhotos)
		case len(photos) == 0:
			blank(IssueKey(it.ID, PartPhoto))
		default:
			a[IssueKey(it.ID, PartPhoto)] = &dialog.Value{Photos: photos}
		}
		if fi.Deadline == "" {
			blank(IssueKey(it.ID, PartDeadline))
		} else if d, err := time.ParseInLocation(time.DateOnly, fi.Deadline, loc); err != nil {
			bad(IssueKey(it.ID, PartDeadline), msgDate)
		} else {
			a[IssueKey(it.ID, PartDeadline)] = &dialog.Value{Date: d}
		}
	}
	if f.Location != nil && validPoint(f.Location) {
		a[KeyLocation] = &dialog.Value{Location: &dialog.Location{Lat: f.Location.Lat, Lng: f.Location.Lng, Label: clip(f.Location.Label, 100)}}
	} else {
		blank(KeyLocation)
	}
	switch f.Status {
	case StatusNormal, string(registry.EventChanged), string(registry.EventRelocated), string(registry.EventSuspended):
		a[KeyStatus] = &dialog.Value{Text: f.Status}
	default:
		bad(KeyStatus, msgStatus)
	}
	switch note := strings.TrimSpace(f.StatusNote); {
	case note == "":
		a[KeyStatusNote] = nil
	case utf8.RuneCountInString(note) > MaxText:
		bad(KeyStatusNote, msgTooLong)
	default:
		a[KeyStatusNote] = &dialog.Value{Text: note}
	}
	if c := strings.TrimSpace(f.Contact); c != "" {
		a[KeyContact] = &dialog.Value{Text: c}
	} else {
		blank(KeyContact)
	}
	a[KeyLetter] = &dialog.Value{Bool: f.Letter}
	return a, problems
}

func photoValues(ids []string) ([]dialog.Photo, bool) {
	if len(ids) > MaxPhotos {
		return nil, false
	}
	var out []dialog.Photo
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > maxMediaID {
			return nil, false
		}
		out = append(out, dialog.Photo{MediaID: id})
	}
	return out, true
}

func validPoint(l *Location) bool {
	return l.Lat >= -90 && l.Lat <= 90 && l.Lng >= -180 && l.Lng <= 180 && (l.Lat != 0 || l.Lng != 0)
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Field is the id of the page's field for a step key: "mode",
// "item-<id>", "desc-<id>", "photos-<id>", "deadline-<id>", "location",
// "status", "status-note", "contact", "letter", or "" for a step the page
// does not show.
func Field(key string) string {
	if id, ok := strings.CutPrefix(key, ItemPrefix); ok {
		return "item-" + id
	}
	if rest, ok := strings.CutPrefix(key, "issue:"); ok {
		if i := strings.LastIndexByte(rest, ':'); i > 0 {
			switch rest[i+1:] {
			case PartDesc:
				return "desc-" + rest[:i]
			case PartPhoto:
				return "photos-" + rest[:i]
			case PartDeadline:
				return "deadline-" + rest[:i]
			}
		}
		return ""
	}
	switch key {
	case KeyMode, KeyLocation, KeyStatus, KeyContact, KeyLetter:
		return key
	case KeyStatusNote:
		return "status-note"
	}
	return ""
}

// Missing says what a step left unanswered asks for, in the page's words;
// label names an item by its id.
func Missing(key string, label func(itemID string) string) string {
	if id, ok := strings.CutPrefix(key, ItemPrefix); ok {
		return "「" + label(id) + "」" + msgNoResult
	}
	if rest, ok := strings.CutPrefix(key, "issue:"); ok {
		if i := strings.LastIndexByte(rest, ':'); i > 0 {
			name := "「" + label(rest[:i]) + "」"
			switch rest[i+1:] {
			case PartDesc:
				return name + msgNoDesc
			case PartPhoto:
				return name + msgNoPhoto
			case PartDeadline:
				return name + msgNoDeadline
			}
		}
	}
	if m, ok := missingText[key]; ok {
		return m
	}
	return msgIncomplete
}

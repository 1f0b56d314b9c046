package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Where the fake's own controls are served, wherever it is mounted: the
// simulator's instance serves the fake under /dev/wxapi, `shianbao fakewx`
// at its root, and both answer these paths. Fault runs set the knobs with
// curl and read what the service sent, with no code.
const (
	FaultsPath = "/dev/wxapi/faults"
	CallsPath  = "/dev/wxapi/calls"
)

// Faults are the fake's fault knobs as /dev/wxapi/faults shows them.
type Faults struct {
	// Latency delays every answer before the call is handled.
	Latency Duration `json:"latency"`
	// AcceptDelay delays every answer after the call was handled: the
	// message is delivered even when the client gives up first, which is
	// what a platform that accepted a send looks like to a timed-out client.
	AcceptDelay Duration `json:"accept_delay"`
	// ErrorRate fails that share of calls, each with one of ErrorCodes.
	ErrorRate  float64     `json:"error_rate"`
	ErrorCodes []FaultCode `json:"error_codes"`
	// Unfollowed are users who do not follow the account: messages to them
	// are answered 43004.
	Unfollowed []string `json:"unfollowed"`
	// FailNext are queued failures: the next N calls to a path.
	FailNext []QueuedFault `json:"fail_next"`
	// TestAccount plays a test account: msgmenu is refused with 40200.
	TestAccount bool `json:"test_account"`
}

// QueuedFault fails the next N calls whose path ends with Path.
type QueuedFault struct {
	Path string    `json:"path"`
	Code FaultCode `json:"code"`
	N    int       `json:"n"`
}

// faultsUpdate is a POST: fields left out keep their value; fail_next
// adds to the queue.
type faultsUpdate struct {
	Latency     *Duration     `json:"latency"`
	AcceptDelay *Duration     `json:"accept_delay"`
	ErrorRate   *float64      `json:"error_rate"`
	ErrorCodes  []FaultCode   `json:"error_codes"`
	Unfollowed  *[]string     `json:"unfollowed"`
	FailNext    []QueuedFault `json:"fail_next"`
	TestAccount *bool         `json:"test_account"`
}

// Duration is a time.Duration written as in Go ("300ms", "2s").
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "300ms", "2s", ...
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(msgBadDuration)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 || v > maxFaultDelay {
		return errors.New(msgBadDuration)
	}
	*d = Duration(v)
	return nil
}

// maxFaultDelay bounds the delays a knob may set.
const maxFaultDelay = 5 * time.Minute

// FaultCode is an errcode, or "http500" (FaultHTTP500) or "drop"
// (FaultDrop) for failures that are not errcodes.
type FaultCode int

var faultNames = map[FaultCode]string{FaultHTTP500: "http500", FaultDrop: "drop"}

// MarshalJSON writes an errcode as a number and the others by name.
func (c FaultCode) MarshalJSON() ([]byte, error) {
	if name, ok := faultNames[c]; ok {
		return json.Marshal(name)
	}
	return json.Marshal(int(c))
}

// UnmarshalJSON reads 45009, "http500" or "drop".
func (c *FaultCode) UnmarshalJSON(b []byte) error {
	var n int
	if json.Unmarshal(b, &n) == nil && n > 0 {
		*c = FaultCode(n)
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		for code, name := range faultNames {
			if s == name {
				*c = code
				return nil
			}
		}
	}
	return errors.New(msgBadFaultCode)
}

// Faults returns the knobs in force.
func (f *FakeAPI) Faults() Faults {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := Faults{Latency: Duration(f.latency), AcceptDelay: Duration(f.acceptDelay), ErrorRate: f.errRate, TestAccount: f.testAccount,
		ErrorCodes: []FaultCode{}, Unfollowed: []string{}, FailNext: []QueuedFault{}}
	for _, c := range f.errCode {
		out.ErrorCodes = append(out.ErrorCodes, FaultCode(c))
	}
	for _, u := range slices.Sorted(maps.Keys(f.users)) {
		if !f.users[u] {
			out.Unfollowed = append(out.Unfollowed, u)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(f.faults)) {
		for _, q := range f.faults[path] {
			out.FailNext = append(out.FailNext, QueuedFault{Path: path, Code: FaultCode(q.code), N: q.n})
		}
	}
	return out
}

// SetAcceptDelay delays every answer by d after the call was handled (cut
// short when the client gives up, the call still recorded as delivered).
func (f *FakeAPI) SetAcceptDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acceptDelay = d
}

// ClearFaults turns every knob off: no latency, delay, error rate or queued
// failure, and every user follows. Recorded calls and platform state stay.
func (f *FakeAPI) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = map[string][]fault{}
	f.errRate, f.errCode, f.latency, f.acceptDelay, f.testAccount = 0, nil, 0, 0, false
	maps.DeleteFunc(f.users, func(_ string, following bool) bool { return !following })
}

// apply sets what u names, after checking all of it.
func (f *FakeAPI) apply(u faultsUpdate) error {
	if u.ErrorRate != nil && (*u.ErrorRate < 0 || *u.ErrorRate > 1) {
		return errors.New(msgBadErrorRate)
	}
	for _, q := range u.FailNext {
		if q.Path == "" || q.N < 1 || q.Code == 0 {
			return errors.New(msgBadFailNext)
		}
	}
	if u.Unfollowed != nil && slices.Contains(*u.Unfollowed, "") {
		return errors.New(msgBadUnfollowed)
	}
	if u.Latency != nil {
		f.SetLatency(time.Duration(*u.Latency))
	}
	if u.AcceptDelay != nil {
		f.SetAcceptDelay(time.Duration(*u.AcceptDelay))
	}
	if u.ErrorRate != nil || u.ErrorCodes != nil {
		f.mu.Lock()
		rate, codes := f.errRate, f.errCode
		f.mu.Unlock()
		if u.ErrorRate != nil {
			rate = *u.ErrorRate
		}
		if u.ErrorCodes != nil {
			codes = codes[:0:0]
			for _, c := range u.ErrorCodes {
				codes = append(codes, int(c))
			}
		}
		f.SetErrorRate(rate, codes...)
	}
	if u.Unfollowed != nil {
		f.mu.Lock()
		maps.DeleteFunc(f.users, func(_ string, following bool) bool { return !following })
		for _, openid := range *u.Unfollowed {
			f.users[openid] = false
		}
		f.mu.Unlock()
	}
	for _, q := range u.FailNext {
		f.FailNext(q.Path, int(q.Code), q.N)
	}
	if u.TestAccount != nil {
		f.SetTestAccount(*u.TestAccount)
	}
	return nil
}

// callView is a recorded call as /dev/wxapi/calls shows it.
type callView struct {
	Time      time.Time `json:"time"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	To        string    `json:"to,omitempty"`
	Type      string    `json:"type,omitempty"`
	Content   string    `json:"content,omitempty"`
	MsgID     int64     `json:"msgid,omitempty"`
	Duplicate bool      `json:"duplicate,omitempty"`
	Errcode   FaultCode `json:"errcode"`
	Status    int       `json:"status"`
	Delivered bool      `json:"delivered"`
}

// serveControl answers the fake's own paths and reports whether it did.
func (f *FakeAPI) serveControl(w http.ResponseWriter, r *http.Request) bool {
	var err error
	switch {
	case strings.HasSuffix(r.URL.Path, FaultsPath):
		err = f.serveFaults(w, r)
	case strings.HasSuffix(r.URL.Path, CallsPath) && r.Method == http.MethodGet:
		path := r.URL.Query().Get("path")
		views := []callView{}
		for _, c := range f.Calls() {
			if path != "" && !strings.HasSuffix(c.Path, path) {
				continue
			}
			views = append(views, callView{Time: c.Time, Method: c.Method, Path: c.Path, To: c.ToUser, Type: c.MsgType,
				Content: c.Content, MsgID: c.MsgID, Duplicate: c.Duplicate, Errcode: FaultCode(c.Errcode), Status: c.Status,
				Delivered: c.Delivered()})
		}
		err = writeJSON(w, views)
	case strings.HasSuffix(r.URL.Path, CallsPath):
		err = errors.New(msgControlMethod)
	default:
		return false
	}
	if err != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
	}
	return true
}

func (f *FakeAPI) serveFaults(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var u faultsUpdate
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&u); err != nil {
			return fmt.Errorf("%s（%s）", msgBadFaults, err.Error())
		}
		if err := f.apply(u); err != nil {
			return err
		}
	case http.MethodDelete:
		f.ClearFaults()
	default:
		return errors.New(msgControlMethod)
	}
	return writeJSON(w, f.Faults())
}

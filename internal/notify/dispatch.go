package notify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/db"
)

// Retry timing for temporary failures: 30 s, doubling, at most an hour,
// each wait varied by ±20 % so messages failed together retry apart.
const (
	backoffBase = 30 * time.Second
	backoffMax  = time.Hour
	// throttleWait is the wait after a throttling answer without RetryAfter.
	throttleWait = time.Minute
)

// outcomeKind is what one attempt came to.
type outcomeKind int

const (
	outcomeSent        outcomeKind = iota
	outcomeRetry                   // failed; retried after backoff (counted)
	outcomeThrottled               // the platform's limit; retried after a wait (not counted)
	outcomeDeferred                // held back by a rate limit or pause before any call (not counted)
	outcomeUnreachable             // settled: the recipient cannot be reached
	outcomeDead                    // settled: out of attempts
	outcomeLost                    // cut short mid-call by shutdown: left to the lease
)

type outcome struct {
	kind   outcomeKind
	via    Channel
	toUser string
	msgID  int64
	reason string
	after  time.Duration
}

// DispatchOnce claims up to limit due notifications (the configured Batch
// when limit ≤ 0) and sends them one after another. sent counts those the
// platform accepted; retried those rescheduled (failed, throttled or held
// by a rate limit); gaveUp those settled as dead or unreachable. Inside
// quiet hours it claims only urgent messages. err is for the database failing; a failed
// send is an outcome recorded on its row, not an error.
//
// When ctx ends, rows not yet tried are given back at once; the one being
// sent stays leased, because whether the platform got it is unknown: after
// the lease another dispatcher sends it again, and the platform drops the
// repeat of a template message by its client_msg_id.
func (s *Service) DispatchOnce(ctx context.Context, limit int) (sent, retried, gaveUp int, err error) {
	if limit <= 0 {
		limit = s.cfg.Batch
	}
	_, quiet := s.quiet.until(s.now())
	c, err := s.claim(ctx, limit, quiet)
	if err != nil || len(c.rows) == 0 {
		return 0, 0, 0, err
	}
	b := s.newBatch(ctx)
	// Outcomes are recorded even when ctx ends meanwhile: the sends happened.
	rec := context.WithoutCancel(ctx)
	for i := range c.rows {
		r := &c.rows[i]
		if ctx.Err() != nil || !s.now().Add(s.sendTimeout()).Before(c.until) {
			// Shutting down, or too little of the lease left for another
			// send: give the rest back now rather than when the lease ends.
			return sent, retried, gaveUp, s.release(rec, c, c.rows[i:])
		}
		o := b.deliver(ctx, r)
		if o.kind == outcomeLost {
			return sent, retried, gaveUp, s.release(rec, c, c.rows[i+1:])
		}
		kind, err := s.record(rec, c, r, o)
		if err != nil {
			return sent, retried, gaveUp, err
		}
		s.observeOutcome(kind)
		switch kind {
		case outcomeSent:
			sent++
		case outcomeUnreachable, outcomeDead:
			gaveUp++
		default:
			retried++
		}
	}
	return sent, retried, gaveUp, nil
}

// sendTimeout bounds one send: half the lease, so a send started with more
// than that left ends before the lease does.
func (s *Service) sendTimeout() time.Duration { return s.cfg.Lease / 2 }

// batch is the state one DispatchOnce shares between its sends.
type batch struct {
	s      *Service
	pauses map[Channel]time.Time
	held   map[Channel]time.Time
	addrs  map[Recipient][]Address
	warned bool
}

func (s *Service) newBatch(ctx context.Context) *batch {
	b := &batch{s: s, held: map[Channel]time.Time{}, addrs: map[Recipient][]Address{}}
	p, err := s.rate.pauses(ctx)
	if err != nil {
		// Sending without the pauses is safe: a throttled channel answers
		// with throttling again, which pauses it anew.
		s.log.Warn("notify: cannot read channel pauses", "err", err.Error())
		p = map[Channel]time.Time{}
	}
	b.pauses = p
	return b
}

// deliver makes one attempt at r.
func (b *batch) deliver(ctx context.Context, r *row) outcome {
	n := r.notification()
	if n.Attempts > b.s.cfg.MaxAttempts {
		// Only a row whose dispatcher died during its last attempt gets here.
		reason := n.LastError
		if reason == "" {
			reason = reasonInterrupted
		}
		return outcome{kind: outcomeDead, reason: reason}
	}
	if n.To.Kind == ToGroup {
		return b.robot(ctx, &n)
	}
	return b.person(ctx, &n)
}

func (b *batch) robot(ctx context.Context, n *Notification) outcome {
	if b.s.send.Robot == nil {
		return outcome{kind: outcomeUnreachable, reason: reasonNoRobot}
	}
	if wait, held := b.hold(ctx, ChannelRobot); held {
		return outcome{kind: outcomeDeferred, after: wait}
	}
	md := n.Text
	if md == "" {
		md = "**" + n.Title + "**"
	}
	if n.URL != "" {
		md += "\n\n[" + detailLabel + "](" + n.URL + ")"
	}
	err := b.call(ctx, ChannelRobot, func(ctx context.Context) error { return b.s.send.Robot(ctx, n.To.Group, md) })
	if err == nil {
		return outcome{kind: outcomeSent, via: ChannelRobot}
	}
	return b.failed(ctx, ChannelRobot, "", err)
}

func (b *batch) person(ctx context.Context, n *Notification) outcome {
	addrs, err := b.addresses(ctx, n.To)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{kind: outcomeLost}
		}
		return outcome{kind: outcomeRetry, reason: reasonDirectoryFailed + ": " + err.Error()}
	}
	addr, reason := pickOA(addrs)
	if addr == nil {
		return outcome{kind: outcomeUnreachable, reason: reason}
	}
	reason = reasonNoWindow
	for _, ch := range b.plan(n, addr) {
		if wait, held := b.hold(ctx, ch); held {
			return outcome{kind: outcomeDeferred, after: wait}
		}
		o := b.sendTo(ctx, ch, n, addr.UserID)
		if o.kind != outcomeUnreachable || !o.fallsBack(ch) {
			return o
		}
		// Outside the customer-service window, or refused a subscribe
		// notification: the next channel (a template message) may still go.
		reason = o.reason
	}
	return outcome{kind: outcomeUnreachable, reason: reason, toUser: addr.UserID}
}

// fallsBack reports whether an unreachable outcome on ch lets the next
// channel of the plan be tried.
func (o outcome) fallsBack(ch Channel) bool {
	return o.reason == reasonNoWindow || (ch == ChannelSubscribe && o.reason == reasonRefused)
}

// plan lists the channels to try for n, in order: the one asked for when it
// can be used, then a template message if the kind has one, then a
// customer-service message inside the 48-hour window.
func (b *batch) plan(n *Notification, addr *Address) []Channel {
	cfg, send := b.s.cfg, b.s.send
	_, hasTemplate := b.s.template(n.Kind)
	_, hasSubscribe := cfg.SubscribeTemplates[n.Kind]
	inWindow := addr.LastMessageAt != nil && b.s.now().Sub(*addr.LastMessageAt) < customWindow
	var out []Channel
	switch {
	case n.Channel == ChannelSubscribe && hasSubscribe && send.Subscribe != nil:
		out = append(out, ChannelSubscribe)
	case n.Channel == ChannelCustom && inWindow && send.Custom != nil:
		out = append(out, ChannelCustom)
	}
	if hasTemplate && send.Template != nil {
		out = append(out, ChannelTemplate)
	}
	if inWindow && send.Custom != nil && !slices.Contains(out, ChannelCustom) {
		out = append(out, ChannelCustom)
	}
	return out
}

// sendTo makes the call for one channel.
func (b *batch) sendTo(ctx context.Context, ch Channel, n *Notification, user string) outcome {
	var msgID int64
	err := b.call(ctx, ch, func(ctx context.Context) error {
		var err error
		switch ch {
		case ChannelTemplate:
			t, _ := b.s.template(n.Kind)
			msgID, err = b.s.send.Template(ctx, user, t.ID, n.URL, t.data(n), n.ClientMsgID())
		case ChannelSubscribe:
			t := b.s.cfg.SubscribeTemplates[n.Kind]
			err = b.s.send.Subscribe(ctx, user, t.ID, n.URL, t.data(n))
		case ChannelCustom:
			text := n.Text
			if text == "" {
				text = n.Title
			}
			err = b.s.send.Custom(ctx, user, text, n.URL)
		}
		return err
	})
	if err == nil {
		return outcome{kind: outcomeSent, via: ch, toUser: user, msgID: msgID}
	}
	return b.failed(ctx, ch, user, err)
}

// template is the template message of kind.
func (s *Service) template(kind string) (Template, bool) {
	if t, ok := s.cfg.Templates[kind]; ok {
		return t, true
	}
	if s.cfg.Fallback != nil {
		return *s.cfg.Fallback, true
	}
	return Template{}, false
}

// call runs one send on ch bounded by sendTimeout.
func (b *batch) call(ctx context.Context, ch Channel, send func(ctx context.Context) error) error {
	sctx, cancel := context.WithTimeout(ctx, b.s.sendTimeout())
	defer cancel()
	start := time.Now()
	err := send(sctx)
	b.s.observeSend(ch, time.Since(start), err)
	return err
}

// failed classifies a send's error.
func (b *batch) failed(ctx context.Context, ch Channel, user string, err error) outcome {
	if ctx.Err() != nil {
		return outcome{kind: outcomeLost}
	}
	e := asSendError(err)
	switch {
	case e.OutsideWindow:
		return outcome{kind: outcomeUnreachable, reason: reasonNoWindow, toUser: user}
	case e.Unreachable:
		if e.Code == 43004 && user != "" {
			b.markUnreachable(ctx, user)
		}
		return outcome{kind: outcomeUnreachable, reason: unreachableReason(e), toUser: user}
	case e.Throttled:
		wait := e.RetryAfter
		if wait <= 0 {
			wait = throttleWait
		}
		if slices.Contains(pausable, ch) {
			now := b.s.now()
			b.pauses[ch] = now.Add(wait)
			if err := b.s.rate.pause(ctx, ch, now, now.Add(wait)); err != nil {
				b.s.log.Warn("notify: cannot pause channel", "channel", string(ch), "err", err.Error())
			}
		}
		return outcome{kind: outcomeThrottled, after: wait, reason: e.Error()}
	}
	// Temporary, a token the platform still refused, or an error we do not
	// know: retried with backoff until the attempts run out.
	return outcome{kind: outcomeRetry, reason: e.Error()}
}

func (b *batch) markUnreachable(ctx context.Context, user string) {
	m, ok := b.s.dir.(UnreachableMarker)
	if !ok {
		return
	}
	if err := m.MarkUnreachable(ctx, "oa", user); err != nil {
		b.s.log.Warn("notify: cannot mark user unreachable", "err", err.Error())
	}
}

func unreachableReason(e *SendError) string {
	switch e.Code {
	case 43004:
		return reasonNotFollowing
	case 43019:
		return reasonBlacklisted
	case 43101:
		return reasonRefused
	case 40003:
		return reasonBadOpenID
	case 0:
		if e.Msg != "" {
			return e.Msg
		}
	}
	return e.Error()
}

// hold reports whether ch may not send now (paused after throttling, or
// over its rate) and for how long. A kv failure lets the send go: the
// platform's own limits still stand behind ours.
func (b *batch) hold(ctx context.Context, ch Channel) (time.Duration, bool) {
	now := b.s.now()
	for _, until := range []time.Time{b.pauses[ch], b.held[ch]} {
		if now.Before(until) {
			return until.Sub(now), true
		}
	}
	wait, err := b.s.rate.take(ctx, ch, now)
	if err != nil {
		if !b.warned {
			b.warned = true
			b.s.log.Warn("notify: rate limit unavailable, sending unlimited", "err", err.Error())
		}
		return 0, false
	}
	if wait > 0 {
		b.held[ch] = now.Add(wait)
		return wait, true
	}
	return 0, false
}

// addresses resolves a person once per batch.
func (b *batch) addresses(ctx context.Context, to Recipient) ([]Address, error) {
	if a, ok := b.addrs[to]; ok {
		return a, nil
	}
	if b.s.dir == nil {
		return nil, nil
	}
	a, err := b.s.dir.Addresses(ctx, to.Kind, to.ID)
	if err != nil {
		return nil, err
	}
	b.addrs[to] = a
	return a, nil
}

// pickOA chooses the Official Account identity to send to: of the reachable
// ones, the one that wrote last (a person may have bound a second WeChat
// account; one row records one delivery). Without one, it says why.
func pickOA(addrs []Address) (*Address, string) {
	var best *Address
	oa, bound := false, len(addrs) > 0
	for i := range addrs {
		a := &addrs[i]
		if a.Channel != "oa" || a.UserID == "" {
			continue
		}
		oa = true
		if !a.Reachable {
			continue
		}
		if best == nil || (a.LastMessageAt != nil && (best.LastMessageAt == nil || a.LastMessageAt.After(*best.LastMessageAt))) {
			best = a
		}
	}
	switch {
	case best != nil:
		return best, ""
	case oa:
		return nil, reasonUnsubscribed
	case bound:
		return nil, reasonWeComOnly
	}
	return nil, reasonNotBound
}

// record writes an attempt's outcome, if the claim still holds the row, and
// returns the outcome as recorded (a retry past MaxAttempts is dead).
func (s *Service) record(ctx context.Context, c *claim, r *row, o outcome) (outcomeKind, error) {
	now := s.now()
	set := map[string]any{"lease_until": nil, "lease_token": "", "updated_at": now}
	kind := o.kind
	if kind == outcomeRetry && r.Attempts >= s.cfg.MaxAttempts {
		kind = outcomeDead
	}
	switch kind {
	case outcomeSent:
		var msgID *int64
		if o.msgID != 0 {
			msgID = &o.msgID
		}
		set["status"], set["sent_via"], set["to_user"], set["platform_msg_id"] = string(StatusSent), string(o.via), o.toUser, msgID
		set["sent_at"], set["last_error"] = now, ""
	case outcomeUnreachable:
		set["status"], set["last_error"], set["to_user"] = string(StatusUnreachable), clean(o.reason), o.toUser
	case outcomeDead:
		set["status"], set["last_error"] = string(StatusDead), clean(o.reason)
	case outcomeRetry:
		set["status"], set["last_error"] = string(StatusFailed), clean(o.reason)
		set["next_attempt_at"] = s.stamp(s.quietAfter(r.Urgent, now.Add(backoff(r.Attempts))))
	case outcomeThrottled:
		set["status"], set["last_error"], set["attempts"] = string(StatusFailed), clean(o.reason), r.Attempts-1
		set["next_attempt_at"] = s.stamp(s.quietAfter(r.Urgent, now.Add(o.after)))
	case outcomeDeferred:
		status := StatusPending
		if r.LastError != "" {
			status = StatusFailed
		}
		set["status"], set["attempts"] = string(status), r.Attempts-1
		set["next_attempt_at"] = s.stamp(s.quietAfter(r.Urgent, now.Add(o.after)))
	}
	res := s.db.Gorm(ctx).Model(&row{}).Where("id = ? AND lease_token = ?", r.ID, c.token).Updates(set)
	if res.Error != nil {
		return kind, fmt.Errorf("notify record %d: %w", r.ID, db.Translate(res.Error))
	}
	if res.RowsAffected == 0 {
		// The lease ran out and another dispatcher took the row over: its
		// record wins.
		s.log.Warn("notify: lease lost before recording", "id", r.ID)
	}
	switch kind {
	case outcomeDead:
		s.log.Warn("notify: given up", "id", r.ID, "kind", r.Kind, "attempts", r.Attempts, "err", clean(o.reason))
	case outcomeUnreachable:
		s.log.Info("notify: recipient unreachable", "id", r.ID, "kind", r.Kind, "reason", clean(o.reason))
	}
	return kind, nil
}

// backoff is the wait after the n-th failed attempt.
func backoff(n int) time.Duration {
	d := backoffBase
	for i := 1; i < n && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	jitter := 0.8 + 0.4*rand.Float64()
	return min(time.Duration(float64(d)*jitter), backoffMax)
}

var credential = regexp.MustCompile(`(?i)\b(access_token|refresh_token|token|secret|appsecret|key|ticket|code)=[^&\s"']*`)

// clean makes an error fit for storage and display: credentials in URLs
// removed (the platform client redacts already; this is the backstop) and
// cut to the column.
func clean(s string) string {
	s = credential.ReplaceAllString(strings.ToValidUTF8(s, "?"), "${1}=REDACTED")
	return cutBytes(s, 500)
}

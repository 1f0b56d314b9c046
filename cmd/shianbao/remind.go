package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/clock"
)

// planned is one line of `remind --dry-run`.
type planned struct {
	Kind       string   `json:"kind"`
	Recipient  string   `json:"recipient"`
	Channel    string   `json:"channel"`
	Subject    string   `json:"subject"`
	Cycle      string   `json:"cycle"`
	Stage      string   `json:"stage"`
	Title      string   `json:"title"`
	Businesses []string `json:"businesses"`
	Text       string   `json:"text"`
	URL        string   `json:"url"`
}

// runRemind plans the reminders due at a moment and enqueues them, or with
// --dry-run prints them as JSON lines and sends nothing. The running
// service does the same every day by itself; this is for operators and
// for seeing what a day would bring.
func runRemind(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("remind", e)
	dry := fs.Bool("dry-run", false, "print every notification that would be enqueued, as JSON lines; send nothing")
	atFlag := fs.String("at", "", "plan as of YYYY-MM-DD (at the daily run time, 08:30) or YYYY-MM-DDTHH:MM, China time (default: now)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{"remind takes no arguments"}
	}
	at := time.Now().In(clock.China)
	if *atFlag != "" {
		if at, err = parseAt(*atFlag); err != nil {
			return usageError{err.Error()}
		}
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()
	start := time.Now()
	if *dry {
		ns, err := s.Reminders.Planner.Notices(ctx, at)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		for _, n := range ns {
			m := n.Message
			line := planned{Kind: m.Kind, Recipient: m.To.String(), Channel: string(m.Channel), Subject: m.Subject,
				Cycle: m.Cycle, Stage: m.Stage, Title: m.Title, Businesses: n.Businesses, Text: m.Text, URL: m.URL}
			if line.Businesses == nil {
				line.Businesses = []string{}
			}
			if err := enc.Encode(line); err != nil {
				return err
			}
		}
		fmt.Fprintf(e.stderr, "%d notifications due at %s (dry run: nothing enqueued) in %.1fs\n",
			len(ns), at.Format("2006-01-02 15:04"), time.Since(start).Seconds())
		return nil
	}
	res, err := s.Reminders.RunOnce(ctx, at)
	if err != nil {
		return err
	}
	if res.Skipped {
		return fmt.Errorf("another instance is planning reminders right now; try again in a minute")
	}
	fmt.Fprintf(e.stdout, "%d notifications due at %s: %d newly enqueued, %d already in the outbox (%.1fs)\n",
		res.Planned, at.Format("2006-01-02 15:04"), res.Enqueued, res.Planned-res.Enqueued, time.Since(start).Seconds())
	return nil
}

// parseAt reads YYYY-MM-DD (at the daily run time) or YYYY-MM-DDTHH:MM
// (also with a space) in China time.
func parseAt(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, clock.China); err == nil {
			return t, nil
		}
	}
	d, err := clock.ParseDate(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--at wants YYYY-MM-DD or YYYY-MM-DDTHH:MM, got %q", s)
	}
	return d.Add(app.DailyRemindersAt), nil
}

package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Incident sets how each kind of incident (应急处置) is handled.
type Incident struct {
	// Kinds maps a kind (poisoning 疑似食物中毒, complaint 投诉举报,
	// accident 食品安全事故, other 其他) to its rule as
	// "escalate_to_district=true;accept=30m;start=2h;close=72h": whether the
	// district office is told at once, and the deadline of each step
	// (上报→已受理, 已受理→处置中, 处置中→已办结). A kind left out keeps its
	// default. From the environment: "poisoning=escalate_to_district=true;accept=30m,...".
	Kinds map[string]string `yaml:"kinds"`
}

// IncidentRule is one parsed Incident.Kinds entry.
type IncidentRule struct {
	EscalateToDistrict   bool
	Accept, Start, Close time.Duration
}

// incidentKinds are the kinds an incident rule may name.
var incidentKinds = map[string]bool{"poisoning": true, "complaint": true, "accident": true, "other": true}

// DefaultIncident is the embedded default's rules.
func DefaultIncident() Incident {
	return Incident{Kinds: map[string]string{
		"poisoning": "escalate_to_district=true;accept=30m;start=2h;close=72h",
		"accident":  "escalate_to_district=true;accept=30m;start=2h;close=72h",
		"complaint": "escalate_to_district=false;accept=24h;start=48h;close=360h",
		"other":     "escalate_to_district=false;accept=4h;start=24h;close=168h",
	}}
}

// ParseIncidentRule reads "escalate_to_district=true;accept=30m;start=2h;close=72h";
// every deadline is required and positive.
func ParseIncidentRule(s string) (IncidentRule, error) {
	var r IncidentRule
	seen := map[string]bool{}
	for _, pair := range strings.Split(s, ";") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok {
			return r, fmt.Errorf("want key=value, got %q", pair)
		}
		seen[k] = true
		switch k {
		case "escalate_to_district":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return r, fmt.Errorf("escalate_to_district: want true or false, got %q", v)
			}
			r.EscalateToDistrict = b
		case "accept", "start", "close":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return r, fmt.Errorf("%s: want a positive duration such as 30m or 72h, got %q", k, v)
			}
			*map[string]*time.Duration{"accept": &r.Accept, "start": &r.Start, "close": &r.Close}[k] = d
		default:
			return r, fmt.Errorf("unknown key %q (escalate_to_district, accept, start, close)", k)
		}
	}
	for _, k := range []string{"accept", "start", "close"} {
		if !seen[k] {
			return r, fmt.Errorf("missing %s=DURATION", k)
		}
	}
	return r, nil
}

func (i Incident) validate(add func(key, format string, args ...any)) {
	for kind, rule := range i.Kinds {
		if !incidentKinds[kind] {
			add("incident.kinds", "unknown kind %q (poisoning, complaint, accident, other)", kind)
			continue
		}
		if _, err := ParseIncidentRule(rule); err != nil {
			add("incident.kinds", "%s: %v", kind, err)
		}
	}
}

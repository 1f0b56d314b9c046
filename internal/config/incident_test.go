package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shianbao/shianbao/internal/config"
)

func TestParseIncidentRule(t *testing.T) {
	r, err := config.ParseIncidentRule("escalate_to_district=true; accept=30m;start=2h;close=72h")
	if err != nil || !r.EscalateToDistrict || r.Accept != 30*time.Minute || r.Start != 2*time.Hour || r.Close != 72*time.Hour {
		t.Fatalf("OK: %+v, %v", r, err)
	}
	for name, bad := range map[string]string{
		"Missing":     "accept=30m;start=2h",
		"BadDuration": "accept=soon;start=2h;close=3h",
		"Negative":    "accept=-1m;start=2h;close=3h",
		"UnknownKey":  "accept=1m;start=2h;close=3h;notify=all",
		"BadBool":     "escalate_to_district=maybe;accept=1m;start=2h;close=3h",
	} {
		if _, err := config.ParseIncidentRule(bad); err == nil {
			t.Errorf("%s: %q accepted", name, bad)
		}
	}
	cfg := config.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default: %v", err)
	}
	cfg.Incident.Kinds = map[string]string{"flood": "accept=1m;start=2h;close=3h", "other": "accept=1m"}
	err = cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "flood") || !strings.Contains(err.Error(), "missing start") {
		t.Fatalf("Validate = %v, want both problems named", err)
	}
}

package config

// Pledge configures the reminders about unsigned pledges (承诺书). The
// texts themselves, with their versions, are configs/pledges.yaml.
type Pledge struct {
	// SignerAfterDays: a pledge still unsigned this many days after it fell
	// due (new year, new text, new cadre) is reminded to the signer.
	SignerAfterDays int `yaml:"signer_after_days"`
	// CadreAfterDays: a business's pledge unsigned this long is reminded to
	// the cadre who packs it (one message per cadre listing them).
	CadreAfterDays int `yaml:"cadre_after_days"`
	// OfficeAfterDays: unsigned this long, the office is told (one message
	// per office and week with the counts).
	OfficeAfterDays int `yaml:"office_after_days"`
}

// DefaultPledge reminds the signer after 3 days, the cadre after 7 and
// the office after 14.
func DefaultPledge() Pledge {
	return Pledge{SignerAfterDays: 3, CadreAfterDays: 7, OfficeAfterDays: 14}
}

func (p Pledge) validate(add func(key, format string, args ...any)) {
	if p.SignerAfterDays < 1 || p.SignerAfterDays > 90 {
		add("pledge.signer_after_days", "must be between 1 and 90, got %d", p.SignerAfterDays)
	}
	if p.CadreAfterDays < p.SignerAfterDays || p.CadreAfterDays > 180 {
		add("pledge.cadre_after_days", "must be between signer_after_days (%d) and 180, got %d", p.SignerAfterDays, p.CadreAfterDays)
	}
	if p.OfficeAfterDays < p.CadreAfterDays || p.OfficeAfterDays > 365 {
		add("pledge.office_after_days", "must be between cadre_after_days (%d) and 365, got %d", p.CadreAfterDays, p.OfficeAfterDays)
	}
}

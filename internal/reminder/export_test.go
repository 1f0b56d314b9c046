package reminder

// StageOf exposes the stage rule to the tests.
func StageOf(s Settings, daysLeft int) string { return s.normalized().stage(daysLeft) }

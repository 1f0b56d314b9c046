package config

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// ValidationError lists every problem found, one line each, naming the key.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// Validate checks the configuration and reports every problem at once.
func (c Config) Validate() error {
	var p []string
	add := func(key, format string, args ...any) {
		p = append(p, fmt.Sprintf("%s (%s): %s", key, envName(key), fmt.Sprintf(format, args...)))
	}

	if c.HTTP.Addr == "" {
		add("http.addr", "must not be empty (e.g. :8080)")
	}
	if u, err := url.Parse(c.HTTP.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("http.base_url", "must be an absolute http(s) URL, got %q", c.HTTP.BaseURL)
	}
	if c.HTTP.BodyLimit < 64<<10 {
		add("http.body_limit", "must be at least 65536 bytes, got %d", c.HTTP.BodyLimit)
	}
	if c.HTTP.ShutdownTimeout <= 0 || c.HTTP.ShutdownTimeout > 60e9 {
		add("http.shutdown_timeout", "must be between 1s and 60s, got %s", c.HTTP.ShutdownTimeout)
	}
	if _, err := c.HTTP.TrustedProxyNets(); err != nil {
		add("http.trusted_proxies", "must be comma-separated CIDRs (10.0.0.0/8,127.0.0.1/32): %v", err)
	}
	if _, err := c.HTTP.MetricsAllowNets(); err != nil {
		add("http.metrics_allow", "must be comma-separated CIDRs (10.0.0.0/8,127.0.0.1/32): %v", err)
	}

	switch c.DB.Driver {
	case "sqlite", "mysql":
	default:
		add("db.driver", "must be sqlite or mysql, got %q", c.DB.Driver)
	}
	if c.DB.DSN == "" {
		add("db.dsn", "must not be empty")
	}
	if c.DB.Driver == "mysql" && c.DB.DSN != "" && !strings.Contains(c.DB.DSN, "@") && !strings.Contains(c.DB.DSN, "/") {
		add("db.dsn", "does not look like a MySQL DSN (user:password@tcp(host:3306)/dbname)")
	}
	if c.DB.MaxOpenConns < 1 {
		add("db.max_open_conns", "must be at least 1, got %d", c.DB.MaxOpenConns)
	}
	if strings.ContainsAny(c.Redis.KeyPrefix, "{} \t\r\n") || len(c.Redis.KeyPrefix) > 64 {
		// A brace would make the prefix a Redis Cluster hash tag and move
		// every key into one slot.
		add("redis.key_prefix", "must be at most 64 characters without braces or spaces, got %q", c.Redis.KeyPrefix)
	}
	if c.Redis.DB < 0 || c.Redis.DB > 15 {
		add("redis.db", "must be between 0 and 15, got %d", c.Redis.DB)
	}

	if c.WeChat.AppID == "" {
		add("wechat.appid", "must not be empty")
	}
	if c.WeChat.Token == "" {
		add("wechat.token", "must not be empty")
	}
	if c.WeChat.AESKey != "" && !validAESKey(c.WeChat.AESKey) {
		add("wechat.aeskey", "must be 43 characters of base64 (the EncodingAESKey from the platform)")
	}
	if u, err := url.Parse(c.WeChat.APIBase); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		add("wechat.api_base", "must be an absolute http(s) URL, got %q", c.WeChat.APIBase)
	}
	if c.WeChat.ReplayWindow < 0 {
		add("wechat.replay_window", "must not be negative (0 turns the check off)")
	}
	if c.WeChat.ReplyBudget <= 0 || c.WeChat.ReplyBudget >= 5e9 {
		add("wechat.reply_budget", "must be above 0 and below 5s (the platform waits 5s), got %s", c.WeChat.ReplyBudget)
	}
	if (c.WeCom.CorpID != "") != (c.WeCom.Token != "") || (c.WeCom.CorpID != "" && c.WeCom.AESKey == "") {
		add("wecom.corpid", "wecom.corpid, wecom.token and wecom.aeskey must be set together (or all left empty)")
	}
	if c.WeCom.AESKey != "" && !validAESKey(c.WeCom.AESKey) {
		add("wecom.aeskey", "must be 43 characters of base64")
	}
	if !c.Simulator {
		// Without the simulator this is a real deployment: demo credentials
		// would either fail against the platform or, worse, be guessable.
		if c.WeChat.AppSecret == DemoAppSecret || c.WeChat.Token == DemoToken || c.WeChat.AESKey == DemoAESKey {
			add("wechat.appsecret", "the demo credentials are only for the simulator; set the Official Account's own AppSecret, Token and EncodingAESKey")
		}
		if c.WeChat.AppSecret == "" {
			add("wechat.appsecret", "must be set when the simulator is off")
		}
		if c.Security.SecretKey == DemoSecretKey {
			add("security.secret_key", "the demo secret is only for the simulator; set a random secret of at least 32 characters")
		}
		if c.Demo.SeedOnEmpty {
			add("demo.seed_on_empty", "must be off when the simulator is off: the demo district is never seeded into a real deployment")
		}
		for _, group := range slices.Sorted(maps.Keys(c.WeCom.Robots)) {
			if strings.HasPrefix(c.WeCom.Robots[group], DemoRobotKeyPrefix) {
				add("wecom.robots", "%s: the demo robot key is only for the simulator; set the group robot's own webhook key (or leave the group out)", group)
			}
		}
		demoTemplates := func(key string, templates map[string]string) {
			for _, kind := range slices.Sorted(maps.Keys(templates)) {
				if spec, err := ParseTemplate(templates[kind]); err == nil && strings.HasPrefix(spec.ID, DemoTemplateIDPrefix) {
					add(key, "%s: the demo template id %s is only for the simulator; set the id chosen in the Official Account's back office (or leave the kind out)", kind, spec.ID)
				}
			}
		}
		demoTemplates("notify.templates", c.Notify.Templates)
		demoTemplates("notify.subscribe_templates", c.Notify.SubscribeTemplates)
	}

	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		add("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if len(c.Register.DistrictCode) != 6 || strings.Trim(c.Register.DistrictCode, "0123456789") != "" {
		add("register.district_code", "must be a 6-digit administrative code such as 320211, got %q", c.Register.DistrictCode)
	}
	if len(c.Security.SecretKey) < 32 {
		add("security.secret_key", "must be at least 32 characters (e.g. openssl rand -base64 33)")
	}
	for name, key := range c.WeCom.Robots {
		if name == "" || key == "" {
			add("wecom.robots", "every robot needs a group name and a webhook key")
		}
	}
	for _, g := range []string{"A", "B", "C", "D"} {
		switch c.Supervision.Frequency[g] {
		case "year", "half", "quarter", "month":
		default:
			add("supervision.frequency", "grade %s needs year, half, quarter or month, got %q", g, c.Supervision.Frequency[g])
		}
	}
	for g, modes := range c.Supervision.CountingModes {
		for _, m := range strings.Split(modes, "|") {
			switch strings.TrimSpace(m) {
			case "onsite", "online", "centralized", "report":
			default:
				add("supervision.counting_modes", "grade %s: unknown mode %q (onsite, online, centralized, report)", g, m)
			}
		}
	}
	if c.Supervision.DeadlineDays < 1 || c.Supervision.DeadlineDays > 365 {
		add("supervision.deadline_days", "must be between 1 and 365, got %d", c.Supervision.DeadlineDays)
	}
	if c.Supervision.FarMeters <= 0 {
		add("supervision.far_meters", "must be positive, got %g", c.Supervision.FarMeters)
	}
	c.Review.validate(add)
	c.Incident.validate(add)
	c.Pledge.validate(add)
	if !strings.Contains(c.Letter.NumberFormat, "{seq") {
		add("letter.number_format", "must contain {seq} (e.g. {office}食安督〔{year}〕{seq:04}号), got %q", c.Letter.NumberFormat)
	}
	if stages, err := c.Reminder.ReminderStages(); err != nil {
		add("reminder.stages", "must be whole days before the due day, comma-separated (e.g. 14,7,1): %v", err)
	} else {
		seen := map[int]bool{}
		for _, d := range stages {
			if d < 0 || d > 366 || seen[d] {
				add("reminder.stages", "each stage must be 0…366 days and appear once, got %q", c.Reminder.Stages)
				break
			}
			seen[d] = true
		}
	}
	if c.Reminder.EscalateAfterDays < 1 || c.Reminder.EscalateAfterDays > 90 {
		add("reminder.escalate_after_days", "must be between 1 and 90, got %d", c.Reminder.EscalateAfterDays)
	}
	if c.Reminder.CatchUpDays < 1 || c.Reminder.CatchUpDays > 31 {
		add("reminder.catch_up_days", "must be between 1 and 31, got %d", c.Reminder.CatchUpDays)
	}
	if c.Letter.AckReminderDays < 1 || c.Letter.AckReminderDays > 60 {
		add("letter.ack_reminder_days", "must be between 1 and 60, got %d", c.Letter.AckReminderDays)
	}
	if c.Letter.LinkTTL < time.Hour {
		add("letter.link_ttl", "must be at least 1h, got %s", c.Letter.LinkTTL)
	}
	c.Media.validate(add)
	if c.Import.MaxRows < 1 || c.Import.MaxRows > 10_000_000 {
		add("import.max_rows", "must be between 1 and 10000000, got %d", c.Import.MaxRows)
	}
	if c.Import.MaxUnzippedBytes < 1<<20 || c.Import.MaxUnzippedBytes > 4<<30 {
		add("import.max_unzipped_bytes", "must be between 1048576 (1 MB) and 4294967296 (4 GB), got %d", c.Import.MaxUnzippedBytes)
	}
	c.Notify.validate(add)
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

func validAESKey(k string) bool {
	if len(k) != 43 {
		return false
	}
	b, err := base64.StdEncoding.DecodeString(k + "=")
	return err == nil && len(b) == 32
}

func envName(yamlPath string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(yamlPath, ".", "_"))
}

func (n Notify) validate(add func(key, format string, args ...any)) {
	switch {
	case n.QuietStart == "" && n.QuietEnd == "":
	case !validClock(n.QuietStart) || !validClock(n.QuietEnd):
		add("notify.quiet_start", "quiet_start and quiet_end must both be HH:MM (China time) or both empty, got %q and %q", n.QuietStart, n.QuietEnd)
	case n.QuietStart == n.QuietEnd:
		add("notify.quiet_start", "quiet hours start and end at the same time (%s); leave both empty to turn them off", n.QuietStart)
	}
	if n.Retention != 0 && n.Retention < 60*24*time.Hour {
		add("notify.retention", "must be 0 (keep for ever) or at least 1440h (60 days), got %s", n.Retention)
	}
	if n.MaxAttempts < 1 || n.MaxAttempts > 100 {
		add("notify.max_attempts", "must be between 1 and 100, got %d", n.MaxAttempts)
	}
	if n.Lease < 5*time.Second || n.Lease > 10*time.Minute {
		add("notify.lease", "must be between 5s and 10m, got %s", n.Lease)
	}
	if n.Workers < 0 || n.Workers > 64 {
		add("notify.workers", "must be between 0 (automatic) and 64, got %d", n.Workers)
	}
	if n.Batch < 0 || n.Batch > 1000 {
		add("notify.batch", "must be between 0 (automatic) and 1000, got %d", n.Batch)
	}
	switch n.Claim {
	case "", "auto", "skip_locked", "lease":
	default:
		add("notify.claim", "must be auto, skip_locked or lease, got %q", n.Claim)
	}
	rates := []struct {
		key  string
		rate float64
	}{
		{"notify.rate_template", n.RateTemplate}, {"notify.rate_subscribe", n.RateSubscribe},
		{"notify.rate_custom", n.RateCustom}, {"notify.rate_robot", n.RateRobot},
	}
	for _, r := range rates {
		if r.rate < 0 {
			add(r.key, "must not be negative (0 = unlimited), got %g", r.rate)
		}
	}
	checkTemplates := func(key string, templates map[string]string) {
		for _, kind := range slices.Sorted(maps.Keys(templates)) {
			if strings.TrimSpace(kind) == "" {
				add(key, "every template needs a message kind")
				continue
			}
			if _, err := ParseTemplate(templates[kind]); err != nil {
				add(key, "%s: %v", kind, err)
			}
		}
	}
	checkTemplates("notify.templates", n.Templates)
	checkTemplates("notify.subscribe_templates", n.SubscribeTemplates)
}

// validClock reports whether s is a time of day as HH:MM.
func validClock(s string) bool {
	t, err := time.Parse("15:04", s)
	return err == nil && t.Format("15:04") == s
}

// bucketName is what OSS, COS and S3 all accept: 3 to 63 lowercase
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit.
var bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// objectPrefix is a key prefix of path segments.
var objectPrefix = regexp.MustCompile(`^/?[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*/?$`)

func (m Media) validate(add func(key, format string, args ...any)) {
	switch m.Driver {
	case "local":
		if m.Dir == "" {
			add("media.dir", "must not be empty")
		}
	case "s3":
		m.S3.validate(add)
	default:
		add("media.driver", "must be local or s3, got %q", m.Driver)
	}
}

// validate checks the bucket settings; `shianbao media migrate --to s3`
// checks them whatever the driver.
func (s MediaS3) validate(add func(key, format string, args ...any)) {
	u, err := url.Parse(s.Endpoint)
	switch {
	case s.Endpoint == "":
		add("media.s3.endpoint", "must be set for the s3 driver (e.g. https://oss-cn-hangzhou.aliyuncs.com or http://minio:9000)")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		add("media.s3.endpoint", "must be an absolute http(s) URL such as https://oss-cn-hangzhou.aliyuncs.com, got %q", MaskDSN(s.Endpoint))
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil:
		add("media.s3.endpoint", "must be the service's address only, without a path, query or credentials (the bucket goes in media.s3.bucket)")
	case !s.PathStyle && (net.ParseIP(u.Hostname()) != nil || !strings.Contains(u.Hostname(), ".")):
		// bucket.10.0.0.5 or bucket.minio is no host anyone serves.
		add("media.s3.path_style", "must be true for an endpoint addressed by IP or a one-word host name (%s): the bucket can only go in the path", u.Hostname())
	}
	if !bucketName.MatchString(s.Bucket) || strings.Contains(s.Bucket, "..") {
		add("media.s3.bucket", "must be a bucket name of 3 to 63 lowercase letters, digits, dots and hyphens, got %q", s.Bucket)
	}
	if s.Region != "" && strings.Trim(s.Region, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		add("media.s3.region", "must be a region name such as oss-cn-hangzhou, ap-guangzhou or us-east-1, got %q", s.Region)
	}
	if s.Prefix != "" && (!objectPrefix.MatchString(s.Prefix) || len(s.Prefix) > 200 || slices.ContainsFunc(strings.Split(s.Prefix, "/"), func(seg string) bool { return seg == "." || seg == ".." })) {
		add("media.s3.prefix", "must be path segments of letters, digits, '.', '-' and '_' (e.g. shianbao/media), got %q", s.Prefix)
	}
	if s.AccessKey == "" {
		add("media.s3.access_key", "must be set for the s3 driver (from the environment or a file: SHIANBAO_MEDIA_S3_ACCESS_KEY_FILE)")
	}
	if s.SecretKey == "" {
		add("media.s3.secret_key", "must be set for the s3 driver (from the environment or a file: SHIANBAO_MEDIA_S3_SECRET_KEY_FILE)")
	}
}

// ValidateMediaS3 checks the media.s3 settings alone, listing every
// problem: what a migration into the bucket needs while the service still
// runs on the local driver.
func (c Config) ValidateMediaS3() error {
	var p []string
	c.Media.S3.validate(func(key, format string, args ...any) {
		p = append(p, fmt.Sprintf("%s (%s): %s", key, envName(key), fmt.Sprintf(format, args...)))
	})
	if len(p) > 0 {
		return &ValidationError{Problems: p}
	}
	return nil
}

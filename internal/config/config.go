// Package config holds the service's typed configuration. Values come from
// code defaults (the embedded default: SQLite, in-process kv, simulator on),
// then a YAML file, then SHIANBAO_* environment variables; Validate lists
// every problem at once so an operator fixes them in one go.
package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Config is the whole effective configuration. The yaml path of a field
// (http.addr) also names its environment variable (SHIANBAO_HTTP_ADDR).
type Config struct {
	HTTP      HTTP     `yaml:"http"`
	DB        DB       `yaml:"db"`
	Redis     Redis    `yaml:"redis"`
	WeChat    WeChat   `yaml:"wechat"`
	WeCom     WeCom    `yaml:"wecom"`
	Simulator bool     `yaml:"simulator"`
	Demo      Demo     `yaml:"demo"`
	Log       Log      `yaml:"log"`
	Register  Register `yaml:"register"`
	Media     Media    `yaml:"media"`
	Security  Security `yaml:"security"`
	// Supervision holds the visit rules that differ between places.
	Supervision Supervision `yaml:"supervision"`
	// Letter configures supervision prompt letters.
	Letter Letter `yaml:"letter"`
	// Notify configures push delivery: quiet hours, retries, rate limits
	// and the template of each kind of message.
	Notify Notify `yaml:"notify"`
	// Reminder configures when cadres are reminded and offices told.
	Reminder Reminder `yaml:"reminder"`
	// Import bounds what one register import may read.
	Import Import `yaml:"import"`
	// Review sets the flags across visits and the re-check sample.
	Review Review `yaml:"review"`
	// Incident sets the deadlines and escalation of each kind of incident.
	Incident Incident `yaml:"incident"`
	// Pledge sets the reminders about unsigned pledges (承诺书).
	Pledge Pledge `yaml:"pledge"`
}

// Import bounds a register import (CSV or XLSX), so one file cannot take
// the server's memory: a manager's upload is checked in the request.
type Import struct {
	// MaxRows is the most data rows a file may have; a longer file is
	// refused as soon as the row after the last allowed one is read.
	MaxRows int `yaml:"max_rows"`
	// MaxUnzippedBytes bounds what an XLSX file (a zip) may unpack to, by
	// the sizes its entries declare, before anything is unpacked.
	MaxUnzippedBytes int64 `yaml:"max_unzipped_bytes"`
}

// Reminder configures the reminder planner (DOMAIN.md: stages).
type Reminder struct {
	// Stages are the days before a cycle's due day on which cadres are
	// reminded, comma-separated: "14,7,1".
	Stages string `yaml:"stages"`
	// EscalateAfterDays: overdue this many days → the town office is told.
	EscalateAfterDays int `yaml:"escalate_after_days"`
	// CatchUpDays: how long a one-off notice (overdue, escalation) stays
	// due when the planner did not run on its day.
	CatchUpDays int `yaml:"catch_up_days"`
	// EscalateToGroup also posts escalations to the office's WeCom group
	// (it names the cadres with overdue work); false keeps them personal.
	EscalateToGroup bool `yaml:"escalate_to_group"`
}

// ReminderStages parses Stages: whole days, comma-separated.
func (r Reminder) ReminderStages() ([]int, error) {
	var out []int
	for _, f := range strings.Split(r.Stages, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number of days", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no stages")
	}
	return out, nil
}

// Notify configures the push outbox and its dispatcher.
type Notify struct {
	// QuietStart and QuietEnd bound the quiet hours (China time, HH:MM;
	// the period may span midnight): nothing is pushed inside them, and what
	// falls due waits until the end. Both empty turns quiet hours off.
	QuietStart string `yaml:"quiet_start"`
	QuietEnd   string `yaml:"quiet_end"`
	// MaxAttempts is how many failed attempts a message gets before it is
	// given up (dead). Throttling by the platform does not count.
	MaxAttempts int `yaml:"max_attempts"`
	// Lease is how long a dispatcher owns the messages it claimed; a crashed
	// dispatcher's messages are sent by another after it.
	Lease time.Duration `yaml:"lease"`
	// Workers is the number of dispatcher loops per instance; 0 = 4 on
	// MySQL, and SQLite always runs one.
	Workers int `yaml:"workers"`
	// Batch is how many messages a dispatcher claims at a time; 0 = 50.
	Batch int `yaml:"batch"`
	// Claim is how dispatchers claim messages: auto (SKIP LOCKED on MySQL, a
	// conditional update on SQLite), skip_locked, or lease (a conditional
	// update everywhere: for databases without SKIP LOCKED such as TiDB).
	Claim string `yaml:"claim"`
	// Rates are sends per second per channel, shared by all instances;
	// 0 = unlimited. WeCom robots are further held to 20 a minute each.
	RateTemplate  float64 `yaml:"rate_template"`
	RateSubscribe float64 `yaml:"rate_subscribe"`
	RateCustom    float64 `yaml:"rate_custom"`
	RateRobot     float64 `yaml:"rate_robot"`
	// Retention is how long finished notifications (sent, delivered, dead,
	// unreachable) are kept before they are deleted; 0 keeps them for
	// ever. At least 60 days (1440h): their keys stop a stage being sent
	// twice.
	Retention time.Duration `yaml:"retention"`
	// Templates maps a message kind (reminder.due, letter.issued, ...) to
	// its template message as "TEMPLATE_ID|field=key;field=key": each
	// template field (thing1, time2, ...) takes the message's title ("title")
	// or one of its named values (due, count, who, ...). From the
	// environment: "reminder.due=ID|thing1=title;time2=due,letter.issued=...".
	// A kind without a template reaches people only by customer-service
	// message, inside the 48 hours after they last wrote.
	Templates map[string]string `yaml:"templates"`
	// SubscribeTemplates maps a kind to a subscribe-notification template,
	// in the same form, for messages enqueued for that channel.
	SubscribeTemplates map[string]string `yaml:"subscribe_templates"`
}

// TemplateSpec is one parsed Notify.Templates entry.
type TemplateSpec struct {
	ID string
	// Fields maps a template field to the message value it shows.
	Fields map[string]string
}

// ParseTemplate reads "TEMPLATE_ID|field=key;field=key".
func ParseTemplate(s string) (TemplateSpec, error) {
	id, rest, ok := strings.Cut(strings.TrimSpace(s), "|")
	id = strings.TrimSpace(id)
	if !ok || id == "" {
		return TemplateSpec{}, fmt.Errorf("want TEMPLATE_ID|field=key;field=key, got %q", s)
	}
	spec := TemplateSpec{ID: id, Fields: map[string]string{}}
	for _, pair := range strings.Split(rest, ";") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		field, key, ok := strings.Cut(pair, "=")
		field, key = strings.TrimSpace(field), strings.TrimSpace(key)
		if !ok || !templateField.MatchString(field) || key == "" {
			return TemplateSpec{}, fmt.Errorf("template %s: bad field mapping %q (want field=key, e.g. thing1=title)", id, pair)
		}
		spec.Fields[field] = key
	}
	if len(spec.Fields) == 0 {
		return TemplateSpec{}, fmt.Errorf("template %s maps no fields", id)
	}
	return spec, nil
}

// templateField is a template's field name as the platform shows it (thing1, time2).
var templateField = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,31}$`)

// Letter configures prompt letters (督导提示函).
type Letter struct {
	// NumberFormat builds a number from {office}, {year} and {seq:04}.
	NumberFormat string `yaml:"number_format"`
	// AckReminderDays: unacknowledged after this many days → the business is
	// reminded; after twice as many → the cadre.
	AckReminderDays int `yaml:"ack_reminder_days"`
	// LinkTTL is how long an H5 link in a message stays valid: letters,
	// cards, ledgers, visit receipts, task and overdue lists, rectifications.
	LinkTTL time.Duration `yaml:"link_ttl"`
}

// Supervision configures cycles and deadlines (DOMAIN.md: settings).
type Supervision struct {
	// Frequency per grade: year, half, quarter or month. From the
	// environment: "A=year,B=half,C=quarter,D=quarter".
	Frequency map[string]string `yaml:"frequency"`
	// CountingModes per grade: the visit modes that cover a cycle, separated
	// by "|": "A=onsite|online,D=onsite|online|centralized|report". Empty = all.
	CountingModes map[string]string `yaml:"counting_modes"`
	// DeadlineDays is the default rectification deadline.
	DeadlineDays int `yaml:"deadline_days"`
	// FarMeters flags (not blocks) a report sent from further away.
	FarMeters float64 `yaml:"far_meters"`
}

// Security holds the service's own secret.
type Security struct {
	// SecretKey keys binding-code hashes, signed QR tokens and (later)
	// console sessions. Changing it invalidates outstanding codes.
	SecretKey string `yaml:"secret_key" secret:"true"`
}

// HTTP configures the listener and request handling.
type HTTP struct {
	Addr string `yaml:"addr"`
	// BaseURL is the public address users reach (links in messages, QR codes).
	BaseURL         string        `yaml:"base_url"`
	BodyLimit       int64         `yaml:"body_limit"`
	ReadTimeout     time.Duration `yaml:"read_timeout"`
	WriteTimeout    time.Duration `yaml:"write_timeout"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// TrustedProxies are the reverse proxies (CIDRs, comma-separated:
	// "10.0.0.0/8,127.0.0.1/32") whose X-Forwarded-For and X-Real-IP name
	// the client. Empty trusts no header: the connection's address is the
	// client's, so nobody can pick the address sign-in limits count against.
	TrustedProxies string `yaml:"trusted_proxies"`
	// MetricsAllow limits /metrics to clients in these CIDRs
	// (comma-separated); empty leaves it open, as on a private network.
	MetricsAllow string `yaml:"metrics_allow"`
}

// TrustedProxyNets parses TrustedProxies.
func (h HTTP) TrustedProxyNets() ([]*net.IPNet, error) { return ParseCIDRs(h.TrustedProxies) }

// MetricsAllowNets parses MetricsAllow.
func (h HTTP) MetricsAllowNets() ([]*net.IPNet, error) { return ParseCIDRs(h.MetricsAllow) }

// ParseCIDRs reads comma-separated CIDRs; a bare address is a network of
// one ("127.0.0.1" = "127.0.0.1/32").
func ParseCIDRs(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", f)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// DB chooses the database engine.
type DB struct {
	Driver string `yaml:"driver"`
	// DSN may carry a password; it is masked in dumps.
	DSN             string        `yaml:"dsn" secret:"dsn"`
	MaxOpenConns    int           `yaml:"max_open_conns"`
	MaxIdleConns    int           `yaml:"max_idle_conns"`
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
	// AutoMigrate applies pending migrations at start-up. SQLite always
	// migrates; on MySQL the default is to refuse a stale schema and ask the
	// operator to run `shianbao migrate`, so upgrades are a deliberate step.
	AutoMigrate bool `yaml:"auto_migrate"`
}

// Redis selects the shared key-value store; an empty address means the
// in-process store (one instance only).
type Redis struct {
	Addr       string `yaml:"addr"`
	Password   string `yaml:"password" secret:"true"`
	DB         int    `yaml:"db"`
	MasterName string `yaml:"master_name"`
	// KeyPrefix is put before every key, so deployments (or a staging and a
	// production) can share one Redis without seeing each other's keys.
	KeyPrefix string `yaml:"key_prefix"`
}

// WeChat holds the Official Account credentials and callback rules.
type WeChat struct {
	AppID     string `yaml:"appid"`
	AppSecret string `yaml:"appsecret" secret:"true"`
	Token     string `yaml:"token" secret:"true"`
	AESKey    string `yaml:"aeskey" secret:"true"`
	// APIBase is where outbound API calls go: the platform, or a fake in dev and tests.
	APIBase      string        `yaml:"api_base"`
	ReplayWindow time.Duration `yaml:"replay_window"`
	// ReplyBudget is how long a callback may wait for the bot before it
	// answers "success" and sends the reply as a customer-service message.
	ReplyBudget time.Duration `yaml:"reply_budget"`
	// Menus sends a reply's choices as a tappable customer-service msgmenu
	// (the passive reply is then "success"; the plain text is the fallback
	// when the platform refuses). Off, every answer is the passive text —
	// what a load test or a harness that reads passive replies expects.
	Menus bool `yaml:"menus"`
}

// WeCom holds the WeCom smart-robot callback credentials; empty = off.
type WeCom struct {
	CorpID string `yaml:"corpid"`
	Token  string `yaml:"token" secret:"true"`
	AESKey string `yaml:"aeskey" secret:"true"`
	// Robots maps a contact group (an office's short name, e.g. 胡埭) to its
	// group-robot webhook key. From the environment: "胡埭=KEY1,蠡湖=KEY2".
	Robots map[string]string `yaml:"robots" secret:"true"`
}

// Demo controls the generated demo district.
type Demo struct {
	// SeedOnEmpty seeds the demo district when the server starts on an empty SQLite database.
	SeedOnEmpty bool  `yaml:"seed_on_empty"`
	Seed        int64 `yaml:"seed"`
}

// Log configures structured logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Register holds the register's rules that differ between places.
type Register struct {
	// AllowHigherLevelCadre lets a cadre of a higher level pack a business
	// whose grade belongs to a lower level (a town cadre packing a D business).
	AllowHigherLevelCadre bool `yaml:"allow_higher_level_cadre"`
	// DistrictCode is the administrative code (GB/T 2260) of the deployment's
	// district; credit codes registered elsewhere are accepted but flagged in import reports.
	DistrictCode string `yaml:"district_code"`
	// CityName and DistrictName root the region tree an import builds on.
	CityName     string `yaml:"city_name"`
	DistrictName string `yaml:"district_name"`
}

// Media says where photo evidence is stored: in a directory (local, one
// machine) or in a bucket of an S3-compatible service (s3, shared by every
// instance).
type Media struct {
	// Driver is local or s3.
	Driver string `yaml:"driver"`
	// Dir is the local driver's directory, and what `shianbao media
	// migrate --to s3` copies from.
	Dir string  `yaml:"dir"`
	S3  MediaS3 `yaml:"s3"`
}

// MediaS3 locates the bucket of the s3 media driver. Aliyun OSS, Tencent
// COS, MinIO and SeaweedFS all speak this protocol.
type MediaS3 struct {
	// Endpoint is the service's URL; the scheme chooses TLS
	// (https://oss-cn-hangzhou.aliyuncs.com, http://minio:9000).
	Endpoint string `yaml:"endpoint"`
	Bucket   string `yaml:"bucket"`
	// Region signs requests (oss-cn-hangzhou, ap-guangzhou, us-east-1);
	// empty asks the bucket for its location first.
	Region string `yaml:"region"`
	// PathStyle addresses the bucket in the path (MinIO, SeaweedFS) rather
	// than in the host name (OSS, COS).
	PathStyle bool `yaml:"path_style"`
	// Prefix is put before every object's key ("shianbao/media"), so the
	// bucket may hold other things too.
	Prefix    string `yaml:"prefix"`
	AccessKey string `yaml:"access_key" secret:"true"`
	SecretKey string `yaml:"secret_key" secret:"true"`
}

// Demo credentials for the embedded default. Validate refuses them when the
// simulator is off, so a production deployment cannot start with them.
const (
	DemoAppID     = "wx5ba0de0000d3m0"
	DemoAppSecret = "shianbao-dev-appsecret"
	DemoToken     = "shianbaodev"
	DemoAESKey    = "c2hpYW5iYW8tZGV2LWFlcy1rZXktZm9yLWRlbW8tdXN"
	DemoSecretKey = "shianbao-dev-secret-key-only-for-the-simulator"
)

// The embedded default's WeCom robot keys and template ids are made up
// for the simulator's fake API, and start with these prefixes. Validate
// refuses them when the simulator is off: against the platform they fail
// every send, and nobody would notice until a reminder went missing.
const (
	DemoRobotKeyPrefix   = "sim-robot-"
	DemoTemplateIDPrefix = "tpl-"
)

// Default returns the embedded default: everything a newcomer needs to run
// the whole product with nothing installed.
func Default() Config {
	return Config{
		HTTP: HTTP{
			Addr:            ":8080",
			BaseURL:         "http://localhost:8080",
			BodyLimit:       8 << 20,
			ReadTimeout:     30 * time.Second,
			WriteTimeout:    60 * time.Second,
			ShutdownTimeout: 20 * time.Second,
		},
		DB: DB{
			Driver:          "sqlite",
			DSN:             "./data/shianbao.db",
			MaxOpenConns:    20,
			MaxIdleConns:    10,
			ConnMaxLifetime: 30 * time.Minute,
		},
		WeChat: WeChat{
			AppID:        DemoAppID,
			AppSecret:    DemoAppSecret,
			Token:        DemoToken,
			AESKey:       DemoAESKey,
			APIBase:      "https://api.weixin.qq.com",
			ReplayWindow: 5 * time.Minute,
			ReplyBudget:  4 * time.Second,
			Menus:        true,
		},
		Simulator: true,
		Demo:      Demo{SeedOnEmpty: true, Seed: 20261128},
		Log:       Log{Level: "info", Format: "text"},
		Register:  Register{DistrictCode: "320211", CityName: "无锡市", DistrictName: "滨湖区"},
		Media:     Media{Driver: "local", Dir: "./data/media"},
		Security:  Security{SecretKey: DemoSecretKey},
		Letter:    Letter{NumberFormat: "{office}食安督〔{year}〕{seq:04}号", AckReminderDays: 3, LinkTTL: 30 * 24 * time.Hour},
		Reminder:  Reminder{Stages: "14,7,1", EscalateAfterDays: 3, CatchUpDays: 7, EscalateToGroup: true},
		Import:    Import{MaxRows: 200_000, MaxUnzippedBytes: 256 << 20},
		Review:    DefaultReview(),
		Incident:  DefaultIncident(),
		Pledge:    DefaultPledge(),
		Supervision: Supervision{
			Frequency:    map[string]string{"A": "year", "B": "half", "C": "quarter", "D": "quarter"},
			DeadlineDays: 7,
			FarMeters:    500,
		},
		Notify: Notify{
			QuietStart:  "22:00",
			QuietEnd:    "07:30",
			MaxAttempts: 8,
			Lease:       30 * time.Second,
			Claim:       "auto",
			Retention:   180 * 24 * time.Hour,
			// 20 a second keeps a runaway loop far from the daily quota of
			// template messages (100,000 by default) while sending a city's
			// reminders in minutes.
			RateTemplate:  20,
			RateSubscribe: 20,
			RateCustom:    20,
		},
	}
}

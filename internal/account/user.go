package account

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
)

// ConsoleRole is what a console user may do.
type ConsoleRole string

// Console roles. An admin sees and changes everything; an office manager
// reads and changes the region subtree of their office; a viewer reads a
// subtree and changes nothing.
const (
	ConsoleAdmin   ConsoleRole = "admin"
	ConsoleManager ConsoleRole = "manager"
	ConsoleViewer  ConsoleRole = "viewer"
)

// Valid reports whether r is a known console role.
func (r ConsoleRole) Valid() bool {
	return r == ConsoleAdmin || r == ConsoleManager || r == ConsoleViewer
}

// Label is the role's Chinese name.
func (r ConsoleRole) Label() string {
	return map[ConsoleRole]string{ConsoleAdmin: "管理员", ConsoleManager: "食安办", ConsoleViewer: "只读"}[r]
}

// CanWrite reports whether the role may change data.
func (r ConsoleRole) CanWrite() bool { return r == ConsoleAdmin || r == ConsoleManager }

// User is a person who signs in to the web console.
type User struct {
	ID                int64
	Username          string
	Name              string
	Role              ConsoleRole
	RegionID          *int64
	PasswordHash      string `json:"-"`
	Disabled          bool
	CreatedAt         time.Time
	PasswordChangedAt time.Time
}

// TableName keeps console users apart from chat identities.
func (User) TableName() string { return "console_users" }

// UserInput creates a console user.
type UserInput struct {
	Username string
	Name     string
	Role     ConsoleRole
	// RegionID is the root of what the user sees; required except for admins.
	RegionID int64
	Password string
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// bcryptCost balances sign-in time (~50 ms on a small server) against
// offline guessing of a stolen hash.
const bcryptCost = 11

// CreateUser adds a console user. Invalid for bad input, Conflict when the
// username is taken, NotFound for an unknown region.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (*User, error) {
	u, err := s.newUser(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.db.Gorm(ctx).Create(u).Error; err != nil {
		if err = db.Translate(err); errs.Is(err, errs.Conflict) {
			return nil, errs.Wrap(errs.Conflict, err, "用户名已被使用")
		}
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// EnsureUser creates a console user unless one with the username exists
// (which it leaves as it is). Several instances starting together may all
// try for the same user: the unique username lets one insert win and the
// others do nothing (insert-or-ignore), so none fails. Errors as CreateUser,
// except that a taken username is not one. (Whether this call inserted is
// not reported: MariaDB answers the no-op with the existing row.)
func (s *Service) EnsureUser(ctx context.Context, in UserInput) error {
	u, err := s.newUser(ctx, in)
	if err != nil {
		return err
	}
	err = s.db.Gorm(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "username"}}, DoNothing: true}).Create(u).Error
	if err != nil {
		return fmt.Errorf("ensure user: %w", db.Translate(err))
	}
	return nil
}

// newUser checks the input and hashes the password.
func (s *Service) newUser(ctx context.Context, in UserInput) (*User, error) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	var fields []errs.FieldError
	if !usernamePattern.MatchString(in.Username) {
		fields = append(fields, errs.FieldError{Field: "username", Reason: "用户名为3到32位小写字母、数字、点、横线或下划线"})
	}
	if in.Name == "" || len([]rune(in.Name)) > 64 {
		fields = append(fields, errs.FieldError{Field: "name", Reason: "请填写姓名（最多64字）"})
	}
	if !in.Role.Valid() {
		fields = append(fields, errs.FieldError{Field: "role", Reason: "角色应为 admin、manager 或 viewer"})
	}
	if in.Role != ConsoleAdmin && in.RegionID == 0 {
		fields = append(fields, errs.FieldError{Field: "region", Reason: "食安办和只读用户需要指定所辖区域"})
	}
	if f, ok := checkPassword(in.Password); !ok {
		fields = append(fields, f)
	}
	if len(fields) > 0 {
		return nil, errs.InvalidFields("用户信息有误", fields...)
	}
	var region *int64
	if in.RegionID != 0 {
		if _, err := s.reg.Region(ctx, in.RegionID); err != nil {
			return nil, err
		}
		region = &in.RegionID
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	now := s.now()
	return &User{Username: in.Username, Name: in.Name, Role: in.Role, RegionID: region, PasswordHash: string(hash), CreatedAt: now, PasswordChangedAt: now}, nil
}

func checkPassword(password string) (errs.FieldError, bool) {
	if len([]rune(password)) < MinPasswordLength {
		return errs.FieldError{Field: "password", Reason: fmt.Sprintf("密码至少%d位", MinPasswordLength)}, false
	}
	return errs.FieldError{}, true
}

// SetPassword gives a console user a new password. Invalid for a password
// too short, NotFound for an unknown username.
func (s *Service) SetPassword(ctx context.Context, username, password string) (*User, error) {
	if f, ok := checkPassword(password); !ok {
		return nil, errs.InvalidFields("密码不符合要求", f)
	}
	var u User
	err := s.db.Gorm(ctx).Where("username = ?", strings.ToLower(strings.TrimSpace(username))).First(&u).Error
	if err != nil {
		return nil, db.NotFoundAs(err, "用户不存在")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	u.PasswordHash, u.PasswordChangedAt = string(hash), s.now()
	err = s.db.Gorm(ctx).Model(&User{}).Where("id = ?", u.ID).
		Updates(map[string]any{"password_hash": u.PasswordHash, "password_changed_at": u.PasswordChangedAt}).Error
	if err != nil {
		return nil, fmt.Errorf("set password: %w", db.Translate(err))
	}
	return &u, nil
}

// UsersWithPassword returns, of the named console users, those enabled
// whose password is password, in the order named. Each check costs a
// bcrypt comparison (tens of milliseconds), so name a few users, not all:
// they are compared side by side.
func (s *Service) UsersWithPassword(ctx context.Context, usernames []string, password string) ([]string, error) {
	var us []User
	if err := s.db.Gorm(ctx).Where("username IN ? AND disabled = ?", usernames, false).Find(&us).Error; err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	match := make([]bool, len(us))
	var wg sync.WaitGroup
	for i, u := range us {
		wg.Go(func() {
			match[i] = bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
		})
	}
	wg.Wait()
	found := map[string]bool{}
	for i, u := range us {
		found[u.Username] = match[i]
	}
	var out []string
	for _, name := range usernames {
		if found[name] {
			out = append(out, name)
		}
	}
	return out, nil
}

// dummyHash makes signing in as an unknown user cost as much as a wrong
// password, so timing does not reveal which usernames exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not-a-real-password"), bcryptCost)

// Authenticate checks a username and password. Unauthorized for any
// mismatch (one message whatever was wrong), Forbidden for a disabled user.
func (s *Service) Authenticate(ctx context.Context, username, password string) (*User, error) {
	var u User
	err := s.db.Gorm(ctx).Where("username = ?", strings.ToLower(strings.TrimSpace(username))).First(&u).Error
	if err != nil {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		if errs.Is(db.Translate(err), errs.NotFound) {
			return nil, errs.E(errs.Unauthorized, "用户名或密码不正确")
		}
		return nil, fmt.Errorf("authenticate: %w", db.Translate(err))
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return nil, errs.E(errs.Unauthorized, "用户名或密码不正确")
	}
	if u.Disabled {
		return nil, errs.E(errs.Forbidden, "该账号已停用，请联系管理员")
	}
	return &u, nil
}

// User returns a console user. NotFound if absent.
func (s *Service) User(ctx context.Context, id int64) (*User, error) {
	var u User
	if err := s.db.Gorm(ctx).First(&u, id).Error; err != nil {
		return nil, db.NotFoundAs(err, "用户不存在")
	}
	return &u, nil
}

// Users lists every console user.
func (s *Service) Users(ctx context.Context) ([]User, error) {
	var us []User
	if err := s.db.Gorm(ctx).Order("id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return us, nil
}

// Scope is the region subtree a console user acts in.
type Scope struct {
	// Path is the region path prefix ("" = everything, for admins).
	Path string
	// Name is the region's name ("滨湖区" or "全部" for admins).
	Name string
}

// Contains reports whether a region path lies in the scope.
func (sc Scope) Contains(path string) bool { return strings.HasPrefix(path, sc.Path) }

// ScopeOf returns the region subtree a user may see.
func (s *Service) ScopeOf(ctx context.Context, u *User) (Scope, error) {
	if u.Role == ConsoleAdmin && u.RegionID == nil {
		return Scope{Path: "", Name: "全部"}, nil
	}
	if u.RegionID == nil {
		return Scope{}, errs.E(errs.Forbidden, "账号未设置所辖区域，请联系管理员")
	}
	r, err := s.reg.Region(ctx, *u.RegionID)
	if err != nil {
		return Scope{}, err
	}
	return Scope{Path: r.Path, Name: r.Name}, nil
}

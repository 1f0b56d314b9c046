package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/shianbao/shianbao/internal/audit"
	"github.com/shianbao/shianbao/internal/chat"
	"github.com/shianbao/shianbao/internal/db"
	"github.com/shianbao/shianbao/internal/errs"
	"github.com/shianbao/shianbao/internal/kv"
	"github.com/shianbao/shianbao/internal/registry"
)

// Identity is a chat user bound to a person of the register in one role.
// UnboundAt is nil while the binding holds. Reachable turns false when the
// user unfollows the account and true again when they write; LastMessageAt
// (at most a minute behind) opens the platform's 48-hour window for
// customer-service messages.
type Identity struct {
	ID            int64        `json:"id"`
	Channel       chat.Channel `json:"channel"`
	ExternalID    string       `json:"external_id"`
	Role          Role         `json:"role"`
	SubjectID     int64        `json:"subject_id"`
	BoundAt       time.Time    `json:"bound_at"`
	UnboundAt     *time.Time   `json:"unbound_at,omitempty"`
	Reachable     bool         `json:"reachable"`
	LastMessageAt *time.Time   `json:"last_message_at,omitempty"`
}

// identityRow is an identities row; ActiveKey is the persistence detail
// that enforces one live binding per user and subject.
type identityRow struct {
	ID            int64
	Channel       chat.Channel
	ExternalID    string
	Role          Role
	SubjectID     int64
	BoundAt       time.Time
	UnboundAt     *time.Time
	ActiveKey     *string
	Reachable     bool
	LastMessageAt *time.Time
}

func (identityRow) TableName() string { return "identities" }

func (r identityRow) identity() Identity {
	return Identity{ID: r.ID, Channel: r.Channel, ExternalID: r.ExternalID, Role: r.Role, SubjectID: r.SubjectID,
		BoundAt: r.BoundAt, UnboundAt: r.UnboundAt, Reachable: r.Reachable, LastMessageAt: r.LastMessageAt}
}

func activeKey(ch chat.Channel, externalID string, role Role, subjectID int64) string {
	return string(ch) + "|" + externalID + "|" + string(role) + "|" + strconv.FormatInt(subjectID, 10)
}

func identities(rows []identityRow) []Identity {
	out := make([]Identity, len(rows))
	for i, r := range rows {
		out[i] = r.identity()
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := out[i].Role.rank(), out[j].Role.rank(); a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Identities returns the user's active identities: cadre first, then
// manager, then contact. An unbound user has none (and no error). In a chat
// turn that read the user's identity version ahead (TurnReads) it is
// usually answered from this instance's memory with no call at all
// (identity_cache.go); otherwise, when cached, it is one kv read. Every
// bind, unbind and unsubscribe clears both caches, and the bot handles one
// message per user at a time, so a user's own change is never hidden by a
// stale read.
func (s *Service) Identities(ctx context.Context, ch chat.Channel, externalID string) ([]Identity, error) {
	if err := checkUser(ch, externalID); err != nil {
		return nil, err
	}
	user := localUser(ch, externalID)
	version, inTurn := s.readAheadVersion(ctx, ch, externalID)
	if inTurn {
		if ids, ok := s.local.get(user, version); ok {
			return ids, nil
		}
	}
	key := s.userKey("ids", ch, externalID)
	if v, err := s.kv.Get(ctx, key); err == nil {
		var ids []Identity
		if json.Unmarshal([]byte(v), &ids) == nil {
			if inTurn {
				s.local.put(user, version, ids)
			}
			return ids, nil
		}
	} else if !errors.Is(err, kv.ErrMiss) {
		s.log.WarnContext(ctx, "account: identity cache unavailable, reading the database", "err", err.Error())
	}
	var rows []identityRow
	if err := s.activeOf(s.db.Gorm(ctx), ch, externalID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("identities: %w", db.Translate(err))
	}
	ids := identities(rows)
	if b, err := json.Marshal(ids); err == nil {
		if err := s.kv.Set(ctx, key, string(b), identityCacheTTL); err != nil {
			s.log.WarnContext(ctx, "account: could not cache identities", "err", err.Error())
		}
	}
	if inTurn {
		s.local.put(user, version, ids)
	}
	return ids, nil
}

func (s *Service) activeOf(q *gorm.DB, ch chat.Channel, externalID string) *gorm.DB {
	return q.Where("external_id = ? AND channel = ? AND unbound_at IS NULL", externalID, ch)
}

// IdentitiesOfSubject returns the active identities bound to a cadre,
// manager or contact: whom to push to. Read from the database, so
// Reachable and LastMessageAt are current.
func (s *Service) IdentitiesOfSubject(ctx context.Context, role Role, subjectID int64) ([]Identity, error) {
	var rows []identityRow
	err := s.db.Gorm(ctx).Where("role = ? AND subject_id = ? AND unbound_at IS NULL", role, subjectID).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("identities of subject: %w", db.Translate(err))
	}
	return identities(rows), nil
}

// Unbind ends every active identity of the user and returns them (with
// UnboundAt set). Each is audited. NotFound when the user has none.
func (s *Service) Unbind(ctx context.Context, ch chat.Channel, externalID string) ([]Identity, error) {
	if err := checkUser(ch, externalID); err != nil {
		return nil, err
	}
	now := s.now()
	var rows []identityRow
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		if err := s.activeOf(lockRows(tx), ch, externalID).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return errs.E(errs.NotFound, msgNotBound)
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		err := tx.Model(&identityRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"unbound_at": now, "active_key": nil}).Error
		if err != nil {
			return err
		}
		for i := range rows {
			rows[i].UnboundAt = &now
			if err := s.auditIdentity(tx, now, ch, externalID, "unbind", rows[i], ""); err != nil {
				return err
			}
		}
		return markTagTx(tx, ch, externalID, now)
	})
	s.forget(ctx, ch, externalID)
	if err != nil {
		return nil, fmt.Errorf("unbind: %w", err)
	}
	return identities(rows), nil
}

// MarkUnreachable records that the user unfollowed the account: pushes to
// their identities stop until they write again (Touch). Each identity's
// change is audited as "unsubscribe"; an unbound user is no error.
func (s *Service) MarkUnreachable(ctx context.Context, ch chat.Channel, externalID string) error {
	if err := checkUser(ch, externalID); err != nil {
		return err
	}
	now := s.now()
	err := s.db.InTx(ctx, func(tx *gorm.DB) error {
		var rows []identityRow
		if err := s.activeOf(lockRows(tx), ch, externalID).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		if err := tx.Model(&identityRow{}).Where("id IN ?", ids).Update("reachable", false).Error; err != nil {
			return err
		}
		for _, r := range rows {
			if err := s.auditIdentity(tx, now, ch, externalID, "unsubscribe", r, ""); err != nil {
				return err
			}
		}
		return nil
	})
	// The next message must reach the database to mark the user reachable again.
	if err := s.kv.Delete(context.WithoutCancel(ctx), s.userKey("touch", ch, externalID)); err != nil {
		s.log.WarnContext(ctx, "account: could not clear touch marker", "err", err.Error())
	}
	s.forget(ctx, ch, externalID)
	if err != nil {
		return fmt.Errorf("mark unreachable: %w", err)
	}
	return nil
}

// Touch records that the user wrote at at: LastMessageAt moves forward and
// the user is reachable again. It runs on every message, so it writes at
// most once a minute per user (a kv marker says when it last did) with one
// UPDATE.
func (s *Service) Touch(ctx context.Context, ch chat.Channel, externalID string, at time.Time) error {
	if err := checkUser(ch, externalID); err != nil {
		return err
	}
	if version, inTurn := s.readAheadVersion(ctx, ch, externalID); inTurn {
		// The identities this turn already holds say whether a write is
		// due: within the interval of the last one, no kv call either.
		if ids, ok := s.local.get(localUser(ch, externalID), version); ok && touchedSince(ids, at.Add(-touchInterval)) {
			return nil
		}
	}
	marker := s.userKey("touch", ch, externalID)
	fresh, err := s.kv.SetNX(ctx, marker, "1", touchInterval)
	if err == nil && !fresh {
		return nil
	}
	res := s.activeOf(s.db.Gorm(ctx).Model(&identityRow{}), ch, externalID).
		Updates(map[string]any{"last_message_at": at.UTC(), "reachable": true})
	if res.Error != nil {
		if fresh {
			_ = s.kv.Delete(context.WithoutCancel(ctx), marker)
		}
		return fmt.Errorf("touch: %w", db.Translate(res.Error))
	}
	if res.RowsAffected > 0 {
		s.forget(ctx, ch, externalID)
	} else if fresh {
		// Nobody bound yet (a stranger about to bind): the first message
		// after binding must still be recorded.
		_ = s.kv.Delete(context.WithoutCancel(ctx), marker)
	}
	return nil
}

func (s *Service) auditIdentity(tx *gorm.DB, at time.Time, ch chat.Channel, externalID, action string, r identityRow, extra string) error {
	detail := fmt.Sprintf("channel=%s role=%s subject=%d", ch, r.Role, r.SubjectID)
	if extra != "" {
		detail += " " + extra
	}
	scope, err := identityScope(tx, r)
	if err != nil {
		return err
	}
	return audit.Record(tx, audit.Entry{At: at, Actor: userActor(ch, externalID), Action: action,
		SubjectType: "identity", SubjectID: r.ID, Detail: detail, ScopePath: scope})
}

// identityScope is the region of the person an identity speaks for — the
// cadre's, the manager's office's, the contact's business's — so a town
// sees its own people's bindings in its audit log.
func identityScope(tx *gorm.DB, r identityRow) (string, error) {
	switch r.Role {
	case RoleCadre:
		return registry.ScopeOfTx(tx, registry.AuditCadre, r.SubjectID)
	case RoleManager:
		return registry.ScopeOfTx(tx, registry.AuditManager, r.SubjectID)
	case RoleContact:
		var businessIDs []int64
		if err := tx.Model(&Contact{}).Where("id = ?", r.SubjectID).Pluck("business_id", &businessIDs).Error; err != nil {
			return "", fmt.Errorf("audit scope of contact %d: %w", r.SubjectID, err)
		}
		if len(businessIDs) == 0 {
			return "", nil
		}
		return registry.ScopeOfTx(tx, registry.AuditBusiness, businessIDs[0])
	}
	return "", nil
}

// lockRows locks the selected rows on MySQL; SQLite transactions are
// already serialised (IMMEDIATE) and it has no row locks.
func lockRows(tx *gorm.DB) *gorm.DB {
	if tx.Dialector.Name() == "mysql" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// touchedSince reports whether every identity is reachable and was written
// to (Touch) after since.
func touchedSince(ids []Identity, since time.Time) bool {
	for _, id := range ids {
		if !id.Reachable || id.LastMessageAt == nil || !id.LastMessageAt.After(since) {
			return false
		}
	}
	return len(ids) > 0
}

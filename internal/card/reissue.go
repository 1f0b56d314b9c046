package card

import (
	"context"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/notify"
	"github.com/shianbao/shianbao/internal/registry"
)

// reissueBatch is how many businesses one reissuing transaction handles.
const reissueBatch = 200

// Reissue reissues the business's card when its cadre changed since the
// card in force was issued: a new version, and a message to each of the
// business's bound contacts, once per version however often or
// concurrently it is asked. It reports whether it reissued. A business
// without a card gets its first version, silently (nothing changed for
// it). NotFound for an unknown business.
func (s *Service) Reissue(ctx context.Context, businessID int64, reason string) (bool, error) {
	if _, err := s.ensure(ctx, businessID); err != nil {
		return false, err
	}
	n, err := s.reissue(ctx, []int64{businessID}, reason, false)
	return n > 0, err
}

// Renew reissues the business's card whatever changed — its address after
// an approved move, say — and tells its bound contacts why (reason).
// NotFound for an unknown business.
func (s *Service) Renew(ctx context.Context, businessID int64, reason string) error {
	if _, err := s.ensure(ctx, businessID); err != nil {
		return err
	}
	_, err := s.reissue(ctx, []int64{businessID}, reason, true)
	return err
}

// ReissueChanged reissues every card whose cadre is no longer the one
// packing the business (a handover, a reassignment, an assignment ended)
// and returns how many it reissued. Deregistered businesses are left
// alone. It finds them with one query per batch, so a worker can run it
// after every handover or on a timer.
func (s *Service) ReissueChanged(ctx context.Context) (int, error) {
	total := 0
	for {
		var ids []int64
		err := s.db.Gorm(ctx).Raw(`
SELECT c.business_id FROM cards c
JOIN businesses b ON b.id = c.business_id
LEFT JOIN assignments a ON a.active_business_id = c.business_id
WHERE b.status <> ? AND c.cadre_id <> COALESCE(a.cadre_id, 0)
ORDER BY c.business_id LIMIT ?`, registry.StatusDeregistered, reissueBatch).Scan(&ids).Error
		if err != nil {
			return total, fmt.Errorf("reissue changed cards: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		n, err := s.reissue(ctx, ids, reasonChanged, false)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// change is a card whose cadre may differ from the business's now.
type change struct {
	BusinessID int64
	Name       string
	Version    int
	CadreID    int64
	NowCadre   int64
}

// reissue reissues the cards among ids whose cadre changed, in one
// transaction. Each card moves from the version read to the next only if
// no one else moved it meanwhile, so a version is issued, and announced,
// once.
func (s *Service) reissue(ctx context.Context, ids []int64, reason string, force bool) (int, error) {
	var all []change
	err := s.db.Gorm(ctx).Raw(`
SELECT c.business_id, b.name, c.version, c.cadre_id, COALESCE(a.cadre_id, 0) AS now_cadre
FROM cards c
JOIN businesses b ON b.id = c.business_id
LEFT JOIN assignments a ON a.active_business_id = c.business_id
WHERE c.business_id IN ?
ORDER BY c.business_id`, ids).Scan(&all).Error
	if err != nil {
		return 0, fmt.Errorf("reissue cards: %w", err)
	}
	var changed []change
	var businesses, cadreIDs []int64
	for _, c := range all {
		if force || c.CadreID != c.NowCadre {
			changed = append(changed, c)
			businesses = append(businesses, c.BusinessID)
			if c.NowCadre != 0 {
				cadreIDs = append(cadreIDs, c.NowCadre)
			}
		}
	}
	if len(changed) == 0 {
		return 0, nil
	}
	contacts, err := s.boundContacts(ctx, businesses)
	if err != nil {
		return 0, err
	}
	cadres := map[int64]registry.Cadre{}
	if len(cadreIDs) > 0 {
		var cs []registry.Cadre
		if err := s.db.Gorm(ctx).Where("id IN ?", cadreIDs).Find(&cs).Error; err != nil {
			return 0, fmt.Errorf("reissue cards: cadres: %w", err)
		}
		for _, c := range cs {
			cadres[c.ID] = c
		}
	}
	now := s.now()
	done := 0
	err = s.db.InTx(ctx, func(tx *gorm.DB) error {
		var vs []Version
		var msgs []notify.Message
		for _, c := range changed {
			res := tx.Model(&row{}).Where("business_id = ? AND version = ?", c.BusinessID, c.Version).
				Updates(map[string]any{"version": c.Version + 1, "cadre_id": c.NowCadre, "issued_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				continue
			}
			v := Version{BusinessID: c.BusinessID, Version: c.Version + 1, CadreID: c.NowCadre, Reason: reason, IssuedAt: now}
			vs = append(vs, v)
			for _, ct := range contacts[c.BusinessID] {
				msgs = append(msgs, s.reissuedMessage(c, v, ct, cadres, reason))
			}
		}
		done = len(vs)
		if done == 0 {
			return nil
		}
		if err := tx.CreateInBatches(vs, 500).Error; err != nil {
			return err
		}
		if len(msgs) == 0 || s.out == nil {
			return nil
		}
		_, err := s.out.EnqueueTx(tx, msgs...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reissue cards: %w", err)
	}
	return done, nil
}

// reissuedMessage tells a contact their card was reissued.
func (s *Service) reissuedMessage(c change, v Version, ct account.Contact, cadres map[int64]registry.Cadre, reason string) notify.Message {
	fields := map[string]string{"business": c.Name, "version": "第" + strconv.Itoa(v.Version) + "版"}
	text := fmt.Sprintf(textReissuedNone, ct.Name)
	if c.CadreID == c.NowCadre {
		// Renewed for another reason than a new cadre.
		text = fmt.Sprintf(textRenewed, ct.Name, reason)
	} else if cd, ok := cadres[v.CadreID]; ok {
		fields["cadre"], fields["phone"] = cd.Name, cd.WorkPhone
		text = fmt.Sprintf(textReissued, ct.Name, cd.Name, cd.WorkPhone)
	}
	return notify.Message{
		Kind: "card.issued", To: notify.Recipient{Kind: notify.ToContact, ID: ct.ID}, Channel: notify.ChannelTemplate,
		Subject: fmt.Sprintf("card:%d", c.BusinessID), Stage: "v" + strconv.Itoa(v.Version), Title: titleReissued,
		Fields: fields, Text: text, URL: s.URL(c.BusinessID, registry.ActorOf("contact", ct.ID)),
	}
}

// boundContacts lists, by business, the contacts with a bound WeChat
// identity now: whom a reissued card is announced to. One query over the
// accounts' tables for any number of businesses (the accounts service
// answers one person at a time).
func (s *Service) boundContacts(ctx context.Context, businessIDs []int64) (map[int64][]account.Contact, error) {
	var cs []account.Contact
	err := s.db.Gorm(ctx).Raw(`
SELECT c.id, c.business_id, c.name, c.phone, c.role, c.created_at FROM contacts c
WHERE c.business_id IN ? AND EXISTS (
	SELECT 1 FROM identities i WHERE i.role = ? AND i.subject_id = c.id AND i.unbound_at IS NULL)
ORDER BY c.business_id, c.id`, businessIDs, account.RoleContact).Scan(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("bound contacts: %w", err)
	}
	out := map[int64][]account.Contact{}
	for _, c := range cs {
		out[c.BusinessID] = append(out[c.BusinessID], c)
	}
	return out, nil
}

package supervision

import (
	"context"
	"fmt"
	"strings"

	"github.com/shianbao/shianbao/internal/db"
)

// VisitByKey returns the visit stored under a submission key (the chat
// conversation's id), or nil when none is: how a report filled on the H5
// page learns that the chat has already submitted it.
func (s *Service) VisitByKey(ctx context.Context, key string) (*Visit, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, nil
	}
	var vs []Visit
	if err := s.db.Gorm(ctx).Where("submission_key = ?", key).Limit(1).Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("visit by key: %w", db.Translate(err))
	}
	if len(vs) == 0 {
		return nil, nil
	}
	return &vs[0], nil
}

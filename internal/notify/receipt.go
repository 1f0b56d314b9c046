package notify

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/db"
)

// Template-send-job-finish statuses the platform reports.
const (
	receiptSuccess      = "success"
	receiptUserBlock    = "failed:user block"
	receiptSystemFailed = "failed:system failed"
)

// TemplateFinished records the platform's receipt for a template message
// (the template-send-job-finish event; it implements wechat.ReceiptSink):
// "success" makes it delivered; "failed:user block" unreachable (the user
// blocked the account's messages); "failed:system failed" dead, because
// resending under the same client_msg_id would be dropped by the platform
// as a repeat — the console's Retry sends it again under a new one. Only a
// sent message changes, so a repeated or late receipt is harmless, and a
// receipt for a message id the outbox does not know (another system's
// sends on the same account) is ignored.
func (s *Service) TemplateFinished(ctx context.Context, platformMsgID int64, status string) error {
	set := map[string]any{"updated_at": s.now()}
	switch status {
	case receiptSuccess:
		set["status"] = string(StatusDelivered)
	case receiptUserBlock:
		set["status"], set["last_error"] = string(StatusUnreachable), reasonUserBlock
	case receiptSystemFailed:
		set["status"], set["last_error"] = string(StatusDead), reasonSystemFailed
	default:
		s.log.Warn("notify: unknown template receipt status", "status", clean(status))
		return nil
	}
	if platformMsgID == 0 {
		return nil
	}
	err := s.db.Gorm(ctx).Model(&row{}).
		Where("platform_msg_id = ? AND status = ?", platformMsgID, string(StatusSent)).Updates(set).Error
	if err != nil {
		return fmt.Errorf("notify template receipt: %w", db.Translate(err))
	}
	return nil
}

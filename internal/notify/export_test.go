package notify

import "context"

// ClaimForTest leases up to limit due notifications the way a dispatcher
// does and returns them without sending: a dispatcher that dies right after
// is simulated by never recording anything for them.
func (s *Service) ClaimForTest(ctx context.Context, limit int) ([]Notification, error) {
	c, err := s.claim(ctx, limit, false)
	if err != nil {
		return nil, err
	}
	out := make([]Notification, len(c.rows))
	for i, r := range c.rows {
		out[i] = r.notification()
	}
	return out, nil
}

// TemplateDataForTest renders n's template fields as a send would.
func TemplateDataForTest(t Template, n *Notification) map[string]string { return t.data(n) }

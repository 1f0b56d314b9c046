package account

import (
	"context"
	"fmt"

	"github.com/shianbao/shianbao/internal/errs"
)

// Describe labels an identity for its user: "包保干部 王某某（马鞍村）",
// "食安办 李某某（胡埭镇食品安全委员会办公室）", "主体联系人 张某某（胡埭马鞍阿英面馆）".
// NotFound when its person is no longer in the register.
func (s *Service) Describe(ctx context.Context, id Identity) (string, error) {
	var name, where string
	switch id.Role {
	case RoleCadre:
		c, err := s.reg.Cadre(ctx, id.SubjectID)
		if err != nil {
			return "", err
		}
		r, err := s.reg.Region(ctx, c.RegionID)
		if err != nil {
			return "", err
		}
		name, where = c.Name, r.Name
	case RoleManager:
		m, err := s.reg.Manager(ctx, id.SubjectID)
		if err != nil {
			return "", err
		}
		o, err := s.reg.Office(ctx, m.OfficeID)
		if err != nil {
			return "", err
		}
		name, where = m.Name, o.Name
	case RoleContact:
		c, err := s.Contact(ctx, id.SubjectID)
		if err != nil {
			return "", err
		}
		b, err := s.reg.Business(ctx, c.BusinessID)
		if err != nil {
			return "", err
		}
		name, where = c.Name, b.Name
	default:
		return "", errs.E(errs.Invalid, msgBadRole, id.Role)
	}
	return fmt.Sprintf(describeFormat, id.Role.Label(), name, where), nil
}

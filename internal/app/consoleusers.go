package app

import (
	"context"
	"fmt"
	"strconv"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/registry"
)

// ConsoleUserInput is a console user as `shianbao user add` describes one.
type ConsoleUserInput struct {
	Username, Name string
	// Role is admin, manager or viewer.
	Role string
	// Region is the name (e.g. 胡埭镇) or id of the region the user sees;
	// empty for an admin.
	Region   string
	Password string
}

// AddConsoleUser creates a console user.
func (s *Services) AddConsoleUser(ctx context.Context, in ConsoleUserInput) (*account.User, error) {
	u := account.UserInput{Username: in.Username, Name: in.Name, Role: account.ConsoleRole(in.Role), Password: in.Password}
	if in.Region != "" {
		var err error
		if u.RegionID, err = s.findRegion(ctx, in.Region); err != nil {
			return nil, err
		}
	}
	return s.Accounts.CreateUser(ctx, u)
}

// SetConsolePassword gives a console user a new password and signs out
// whoever signed in with the old one (where the sessions are in Redis;
// the in-process store ends with the server).
func (s *Services) SetConsolePassword(ctx context.Context, username, password string) (*account.User, error) {
	u, err := s.Accounts.SetPassword(ctx, username, password)
	if err != nil {
		return nil, err
	}
	if err := RevokeConsoleSessions(ctx, s.KV, u.ID); err != nil {
		return nil, err
	}
	return u, nil
}

// findRegion reads a region's id, or finds the one region of that name.
func (s *Services) findRegion(ctx context.Context, nameOrID string) (int64, error) {
	if id, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		return id, nil
	}
	rs, err := s.Registry.Regions(ctx)
	if err != nil {
		return 0, err
	}
	var found []registry.Region
	for _, r := range rs {
		if r.Name == nameOrID {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 1:
		return found[0].ID, nil
	case 0:
		return 0, fmt.Errorf("no region named %q", nameOrID)
	}
	return 0, fmt.Errorf("%d regions are named %q; give the id instead", len(found), nameOrID)
}

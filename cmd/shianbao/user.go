package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/shianbao/shianbao/internal/account"
	"github.com/shianbao/shianbao/internal/app"
	"github.com/shianbao/shianbao/internal/registry"
)

// runUser manages console users: `user add` creates one.
func runUser(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("user", e)
	username := fs.String("username", "", "sign-in name (lower-case letters, digits, . _ -)")
	name := fs.String("name", "", "the person's or office's name")
	role := fs.String("role", "manager", "admin, manager or viewer")
	region := fs.String("region", "", "region name (e.g. 胡埭镇) or id the user sees; not needed for admin")
	stdinPW := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] != "add" {
		return usageError{"usage: shianbao user add --username U --name N --role admin|manager|viewer [--region 胡埭镇] [--password-stdin]"}
	}
	cfg, err := fs.load(e)
	if err != nil {
		return err
	}
	d, err := app.OpenDatabase(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	store, err := app.OpenKV(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	reg := registry.NewService(d, app.RegistryRules(cfg), nil)
	accounts := account.NewService(d, store, reg, nil, []byte(cfg.Security.SecretKey))

	in := account.UserInput{Username: *username, Name: *name, Role: account.ConsoleRole(*role)}
	if *region != "" {
		if in.RegionID, err = findRegion(ctx, reg, *region); err != nil {
			return err
		}
	}
	generated := !*stdinPW
	if generated {
		in.Password = newPassword()
	} else {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		in.Password = strings.TrimRight(line, "\r\n")
	}
	u, err := accounts.CreateUser(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created console user %s (%s, %s)\n", u.Username, u.Name, u.Role.Label())
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n(shown once; give it to the user over a trusted channel)\n", in.Password)
	}
	return nil
}

func findRegion(ctx context.Context, reg *registry.Service, nameOrID string) (int64, error) {
	if id, err := strconv.ParseInt(nameOrID, 10, 64); err == nil {
		return id, nil
	}
	rs, err := reg.Regions(ctx)
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

// newPassword makes a 16-character password from an unambiguous alphabet.
func newPassword() string {
	const alphabet = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

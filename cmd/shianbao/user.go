package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/shianbao/shianbao/internal/app"
)

// runUser manages console users: `user add` creates one, `user passwd`
// sets a new password.
func runUser(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("user", e)
	username := fs.String("username", "", "sign-in name (lower-case letters, digits, . _ -)")
	name := fs.String("name", "", "the person's or office's name")
	role := fs.String("role", "manager", "admin, manager or viewer")
	region := fs.String("region", "", "region name (e.g. 胡埭镇) or id the user sees; not needed for admin")
	stdinPW := fs.Bool("password-stdin", false, "add: read the password from standard input instead of generating one")
	pwFile := fs.String("password-file", "", "passwd: read the new password from the first line of this file (else a prompt on a terminal, or standard input)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 || (rest[0] != "add" && rest[0] != "passwd") {
		return usageError{"usage: shianbao user add --username U --name N --role admin|manager|viewer [--region 胡埭镇] [--password-stdin]\n" +
			"       shianbao user passwd --username U [--password-file FILE]"}
	}
	if rest[0] == "passwd" && *username == "" {
		return usageError{"usage: shianbao user passwd --username U [--password-file FILE]"}
	}
	s, err := fs.open(ctx, e)
	if err != nil {
		return err
	}
	defer s.Close()

	if rest[0] == "passwd" {
		password, err := newPasswordFrom(e, *pwFile)
		if err != nil {
			return err
		}
		// Whoever signed in with the old password is signed out.
		u, err := s.SetConsolePassword(ctx, *username, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "password of console user %s changed\n", u.Username)
		return nil
	}

	in := app.ConsoleUserInput{Username: *username, Name: *name, Role: *role, Region: *region}
	generated := !*stdinPW
	if generated {
		in.Password = newPassword()
	} else {
		if in.Password, err = readLine(e.stdin); err != nil {
			return err
		}
		if in.Password == app.DemoPassword {
			return errDemoPassword
		}
	}
	u, err := s.AddConsoleUser(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created console user %s (%s, %s)\n", u.Username, u.Name, u.Role.Label())
	if generated {
		fmt.Fprintf(e.stdout, "password: %s\n(shown once; give it to the user over a trusted channel)\n", in.Password)
	}
	return nil
}

// errDemoPassword refuses the demo password for a user: it is printed in
// the README, and a real deployment refuses to start while a user has it.
var errDemoPassword = errors.New("the demo password cannot be used; choose another")

// newPasswordFrom reads a new password: from the first line of file, else
// twice from a prompt without echo on a terminal, else one line of
// standard input (a pipe from a password manager). Never from the command
// line, where it would stay in the shell history and the process list.
func newPasswordFrom(e env, file string) (string, error) {
	var password string
	switch f, isFile := e.stdin.(*os.File); {
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read password file: %w", err)
		}
		password, _, _ = strings.Cut(string(data), "\n")
		password = strings.TrimRight(password, "\r")
	case isFile && term.IsTerminal(int(f.Fd())):
		first, err := prompt(e, f, "New password: ")
		if err != nil {
			return "", err
		}
		again, err := prompt(e, f, "Again: ")
		if err != nil {
			return "", err
		}
		if first != again {
			return "", errors.New("the two passwords differ; nothing changed")
		}
		password = first
	default:
		var err error
		if password, err = readLine(e.stdin); err != nil {
			return "", err
		}
	}
	if password == app.DemoPassword {
		return "", errDemoPassword
	}
	return password, nil
}

func prompt(e env, f *os.File, label string) (string, error) {
	fmt.Fprint(e.stderr, label)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}

// readLine reads one line of r (nothing when r is nil).
func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
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

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/dispatchhq/dispatch/accounts"
)

type userJSON struct {
	Email             string     `json:"email"`
	Name              string     `json:"name"`
	TwoFactor         bool       `json:"two_factor"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
	CreatedAt         time.Time  `json:"created_at"`
	PasswordChangedAt time.Time  `json:"password_changed_at"`
	LastLoginAt       *time.Time `json:"last_login_at"`
}

func newUsersCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage the admin console's accounts",
		Long: `Manage who can log in to the admin console (admin.listen). There is no
sign-up page: accounts are made here, on the machine that runs Dispatch.
Passwords have at least 12 characters and are stored as argon2id hashes.
Each change is recorded in the events history with the operating-system
user who made it.

Without a subcommand, lists the accounts.`,
		Example: `  dispatch users add ada@example.com --name "Ada Lovelace"
  printf '%s\n' "$PASSWORD" | dispatch users add ada@example.com --password-stdin
  dispatch users list --json
  dispatch users reset-password ada@example.com
  dispatch users remove ada@example.com`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.listUsers(cmd, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the console's accounts",
		Args:  exactArgs(0),
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.listUsers(cmd, asJSON) },
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newUsersAddCmd(a), list, newUsersRemoveCmd(a), newUsersResetCmd(a))
	return cmd
}

func (a *app) accounts() *accounts.Service {
	return &accounts.Service{Store: a.store, IdleTimeout: a.cfg.Admin.SessionIdle, Lifetime: a.cfg.Admin.SessionLifetime}
}

// cliActor names who ran a users command, for the events history.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

func newUsersAddCmd(a *app) *cobra.Command {
	var name string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "add EMAIL",
		Short: "Create a console account (asks for its password)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := accounts.NormalizeEmail(args[0]); err != nil {
				return usageError{fmt.Errorf("users add: %q is not an email address", args[0])}
			}
			pw, err := a.readNewPassword(fromStdin)
			if err != nil {
				return err
			}
			if _, err := a.createStore(cmd.Context()); err != nil {
				return err
			}
			u, err := a.accounts().AddUser(cmd.Context(), args[0], name, pw, cliActor())
			if errors.Is(err, accounts.ErrExists) {
				return &exitError{code: 1, err: fmt.Errorf("an account %s already exists; to change its password: %s users reset-password %s",
					args[0], selfCommand(), args[0])}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Account %s created. Log in to the console (dispatch serve, admin.listen) with it.\n", u.Email)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the person's name, shown in the console")
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func newUsersRemoveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "remove EMAIL",
		Short: "Delete a console account and end its sessions",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.openStore(cmd.Context()); err != nil {
				return err
			}
			err := a.accounts().RemoveUser(cmd.Context(), args[0], cliActor())
			if errors.Is(err, accounts.ErrNotFound) {
				return &exitError{code: 1, err: fmt.Errorf("no account %s (see %s users list)", args[0], selfCommand())}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Account %s removed; its sessions have ended.\n", args[0])
			return nil
		},
	}
}

func newUsersResetCmd(a *app) *cobra.Command {
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "reset-password EMAIL",
		Short: "Set a new password for a console account and end its sessions",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := a.openStore(cmd.Context()); err != nil {
				return err
			}
			if _, err := a.store.FindUserByEmail(cmd.Context(), args[0]); errors.Is(err, accounts.ErrNotFound) {
				return &exitError{code: 1, err: fmt.Errorf("no account %s (see %s users list)", args[0], selfCommand())}
			} else if err != nil {
				return err
			}
			pw, err := a.readNewPassword(fromStdin)
			if err != nil {
				return err
			}
			if err := a.accounts().ResetPassword(cmd.Context(), args[0], pw, cliActor()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "Password of %s changed; every session of it has ended.\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *app) listUsers(cmd *cobra.Command, asJSON bool) error {
	s, err := a.openStore(cmd.Context())
	if err != nil {
		return err
	}
	users, err := s.FindUsers(cmd.Context())
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]userJSON, 0, len(users))
		for _, u := range users {
			j := userJSON{Email: u.Email, Name: u.Name, TwoFactor: u.TwoFactor(), RecoveryCodesLeft: u.RecoveryCodesLeft,
				CreatedAt: u.CreatedAt, PasswordChangedAt: u.PasswordChangedAt}
			if !u.LastLoginAt.IsZero() {
				j.LastLoginAt = &u.LastLoginAt
			}
			out = append(out, j)
		}
		return printJSON(a.stdout, out)
	}
	if len(users) == 0 {
		fmt.Fprintf(a.stdout, "No console accounts yet. Create one with: %s users add you@example.com\n", selfCommand())
		return nil
	}
	tw := newTable(a.stdout)
	fmt.Fprintln(tw, "EMAIL\tNAME\tTWO-FACTOR\tCREATED\tLAST LOGIN")
	for _, u := range users {
		tf, last := "off", "never"
		if u.TwoFactor() {
			tf = fmt.Sprintf("on (%d recovery codes left)", u.RecoveryCodesLeft)
		}
		if !u.LastLoginAt.IsZero() {
			last = u.LastLoginAt.Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termSafe(u.Email), termSafe(u.Name), tf, u.CreatedAt.Format(time.DateOnly), last)
	}
	return tw.Flush()
}

// readNewPassword reads a new password: the first line of stdin with
// --password-stdin, else twice from the terminal without echo. The
// password never appears in arguments, where other users and shell
// history could see it.
func (a *app) readNewPassword(fromStdin bool) (string, error) {
	var pw string
	if fromStdin {
		line, err := bufio.NewReader(a.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		f, ok := a.stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usageError{errors.New("no terminal to ask for the password: pass --password-stdin and write it to standard input")}
		}
		ask := func(prompt string) (string, error) {
			fmt.Fprint(a.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(a.stderr)
			if err != nil {
				return "", fmt.Errorf("read password: %w", err)
			}
			return string(b), nil
		}
		var err error
		if pw, err = ask(fmt.Sprintf("Password (at least %d characters): ", accounts.MinPasswordLength)); err != nil {
			return "", err
		}
		again, err := ask("Password again: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", &exitError{code: 1, err: errors.New("the two passwords differ; nothing was changed")}
		}
	}
	if err := accounts.CheckPasswordRules(pw); err != nil {
		return "", &exitError{code: 1, err: fmt.Errorf("%s; nothing was changed", strings.TrimSuffix(err.Error(), ": "+accounts.ErrInvalid.Error()))}
	}
	return pw, nil
}

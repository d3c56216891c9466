package mtatest

import (
	"fmt"
	"net"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Domain is the mail domain the MTA delivers locally.
const Domain = "example.test"

// Recipients with a fixed fate, besides the mailboxes given in Config.
const (
	Gone    = "gone@" + Domain    // accepted, then a DSN: 5.1.1 user unknown
	Full    = "full@" + Domain    // accepted, then a DSN: 5.2.0 mailbox full
	Slow    = "slow@" + Domain    // accepted, deferred: a delay DSN, then an expiry DSN
	Later   = "later@" + Domain   // 450 4.2.0 at RCPT until Lift
	Bounces = "bounces@" + Domain // the bounce mailbox; bounces+TOKEN@ lands here
)

// Login and Password authenticate on the submission ports (Dovecot SASL)
// and on IMAP as Bounces.
const (
	Login    = "newsletter"
	Password = "s3cret-pass"
)

// Config says which mailboxes exist and how fast the queue gives up.
type Config struct {
	Mailboxes []string // local parts that exist, e.g. "alice"
	// DelayWarning is when a delay DSN goes out for Slow; QueueLifetime is
	// when Slow expires with a failure DSN, unless Expire comes first.
	DelayWarning  time.Duration
	QueueLifetime time.Duration
}

// MTA is a running Postfix and Dovecot pair on 127.0.0.1.
type MTA struct {
	Dir     string
	MailDir string // virtual_mailbox_base: MailDir/example.test/<local>/{new,cur,tmp}
	// Port accepts mail from 127.0.0.1 without AUTH, like a relay on a
	// private network.
	Port int
	// SubmissionPort requires STARTTLS and AUTH (Dovecot SASL) and lets
	// Login send as bounces+anything@ and briefing@.
	SubmissionPort int
	// StrictPort is the standard submission setup whose sender login map
	// lists only briefing@: the VERP envelope sender is refused at RCPT
	// time with 553 5.7.1 "Sender address rejected: not owned by user".
	StrictPort int
	IMAPPort   int // Dovecot IMAP, plain or STARTTLS
	postfix    *daemon
	dovecot    *daemon
	rcptAccess string
	postfixCfg string // Postfix's config directory, for postsuper and postqueue
}

// Start writes the configuration under t.TempDir and starts Dovecot, then
// Postfix. Both stop when the test ends.
func Start(t testing.TB, cfg Config) *MTA {
	t.Helper()
	need(t, "postfix", "/usr/lib/postfix/sbin/master")
	need(t, "dovecot-imapd", "/usr/sbin/dovecot", "/usr/lib/dovecot/imap")
	if cfg.DelayWarning == 0 {
		cfg.DelayWarning = 15 * time.Second
	}
	if cfg.QueueLifetime == 0 {
		cfg.QueueLifetime = 40 * time.Second
	}
	dir := t.TempDir()
	// The folders above the mailboxes must be reachable by the mail user.
	for p := dir; p != "/" && p != "."; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 {
			os.Chmod(p, fi.Mode().Perm()|0o011)
		}
	}
	ports := freePorts(t, 5)
	m := &MTA{Dir: dir, MailDir: filepath.Join(dir, "mail"), Port: ports[0], SubmissionPort: ports[1],
		StrictPort: ports[2], IMAPPort: ports[3]}
	authPort := ports[4]
	mkdirOwned(t, m.MailDir, MailUID, MailGID, 0o755)
	cert, key := writeCert(t, dir)
	m.startDovecot(t, cert, key, authPort)
	m.startPostfix(t, cfg, cert, key, authPort)
	return m
}

// Mailbox returns the Maildir of local@example.test.
func (m *MTA) Mailbox(local string) string {
	return filepath.Join(m.MailDir, Domain, local)
}

// Messages returns the files delivered to local@example.test so far.
func (m *MTA) Messages(local string) []string {
	var out []string
	for _, sub := range []string{"new", "cur"} {
		files, _ := filepath.Glob(filepath.Join(m.Mailbox(local), sub, "*"))
		out = append(out, files...)
	}
	return out
}

// WaitMessages waits until local@ has at least n messages.
func (m *MTA) WaitMessages(t testing.TB, local string, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := m.Messages(local)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("mtatest: %s@%s has %d messages after %v; want %d\npostfix log:\n%s", local, Domain, len(got), timeout, n, m.PostfixLog())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// PostfixLog returns Postfix's log so far (maillog_file is its stdout).
func (m *MTA) PostfixLog() string { return m.postfix.Log() }

// DovecotLog returns Dovecot's log so far.
func (m *MTA) DovecotLog() string { return m.dovecot.Log() }

// Lift ends the 450 for Later: the access map is emptied and Postfix
// reloaded. It returns once a new session on Port is no longer refused:
// smtpd processes started before the reload finish their sessions with
// the old map.
func (m *MTA) Lift(t testing.TB) {
	t.Helper()
	writeFile(t, m.rcptAccess, "", 0o644)
	if err := m.postfix.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("mtatest: reload postfix: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, err := rcptCode(m.Port, Later)
		if err == nil && code == 250 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("mtatest: %s still refused (%d, %v) 20s after the reload:\n%s", Later, code, err, m.PostfixLog())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Expire makes Postfix give up on every queued message now, as if its
// QueueLifetime had passed: Slow's expiry DSN goes out at a moment the test
// chooses instead of one that races the test's own steps.
func (m *MTA) Expire(t testing.TB) {
	t.Helper()
	for _, args := range [][]string{
		{"/usr/sbin/postsuper", "-c", m.postfixCfg, "-e", "ALL"},
		// Deliver deferred mail now, not after its backoff.
		{"/usr/sbin/postqueue", "-c", m.postfixCfg, "-f"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("mtatest: %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// rcptCode asks Port whether it would take mail for rcpt, without sending.
func rcptCode(port int, rcpt string) (int, error) {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	tc := textproto.NewConn(c)
	if _, _, err := tc.ReadResponse(220); err != nil {
		return 0, err
	}
	for _, cmd := range []string{"EHLO probe.example.test", "MAIL FROM:<probe@example.test>"} {
		if _, err := tc.Cmd("%s", cmd); err != nil {
			return 0, err
		}
		if _, _, err := tc.ReadResponse(250); err != nil {
			return 0, err
		}
	}
	if _, err := tc.Cmd("RCPT TO:<%s>", rcpt); err != nil {
		return 0, err
	}
	code, _, _ := tc.ReadResponse(250)
	tc.Cmd("QUIT")
	return code, nil
}

func (m *MTA) startDovecot(t testing.TB, cert, key string, authPort int) {
	t.Helper()
	d := filepath.Join(m.Dir, "dovecot")
	for _, sub := range []string{"run", "state"} {
		if err := os.MkdirAll(filepath.Join(d, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	users := filepath.Join(d, "users")
	writeFile(t, users, fmt.Sprintf("%s:{PLAIN}%s\n%s:{PLAIN}%s\n", Bounces, Password, Login, Password), 0o644)
	conf := filepath.Join(d, "dovecot.conf")
	writeFile(t, conf, fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <%[2]s
ssl_key = <%[3]s
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[4]s/%%d/%%n
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[5]s
}
userdb {
  driver = static
  args = uid=%[6]d gid=%[7]d home=%[4]s/%%d/%%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[8]d
  }
  inet_listener imaps {
    port = 0
  }
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = %[9]d
  }
}
`, d, cert, key, m.MailDir, users, MailUID, MailGID, m.IMAPPort, authPort), 0o644)
	m.dovecot = startDaemon(t, "dovecot", "/usr/sbin/dovecot", "-c", conf, "-F")
	m.dovecot.waitListening(t, m.IMAPPort, authPort)
}

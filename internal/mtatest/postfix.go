package mtatest

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// postfixIDs returns the uid of the postfix user and the gid of postdrop.
func postfixIDs(t testing.TB) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup("postfix")
	if err != nil {
		t.Fatalf("mtatest: no postfix user (install the postfix package): %v", err)
	}
	g, err := user.LookupGroup("postdrop")
	if err != nil {
		t.Fatalf("mtatest: no postdrop group (install the postfix package): %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(g.Gid)
	return uid, gid
}

// seconds renders d for main.cf.
func seconds(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) + "s" }

func (m *MTA) startPostfix(t testing.TB, cfg Config, cert, key string, authPort int) {
	t.Helper()
	pf := filepath.Join(m.Dir, "postfix")
	conf, queue, data := filepath.Join(pf, "conf"), filepath.Join(pf, "queue"), filepath.Join(pf, "data")
	uid, postdrop := postfixIDs(t)
	mkdirOwned(t, conf, 0, 0, 0o755)
	mkdirOwned(t, queue, 0, 0, 0o755)
	mkdirOwned(t, data, uid, 0, 0o700)
	// The queue layout post-install would create.
	for _, sub := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		mkdirOwned(t, filepath.Join(queue, sub), uid, 0, 0o700)
	}
	mkdirOwned(t, filepath.Join(queue, "maildrop"), uid, postdrop, 0o730)
	mkdirOwned(t, filepath.Join(queue, "public"), uid, postdrop, 0o710)
	mkdirOwned(t, filepath.Join(queue, "pid"), 0, 0, 0o755)

	var vmailbox strings.Builder
	for _, local := range append([]string{"gone", "full", "slow", "later", "bounces"}, cfg.Mailboxes...) {
		fmt.Fprintf(&vmailbox, "%s@%s %s/%s/\n", local, Domain, Domain, local)
	}
	writeFile(t, filepath.Join(conf, "vmailbox"), vmailbox.String(), 0o644)
	writeFile(t, filepath.Join(conf, "transport"), fmt.Sprintf("%s gone:\n%s full:\n%s slow:\n", Gone, Full, Slow), 0o644)
	m.postfixCfg = conf
	m.rcptAccess = filepath.Join(conf, "rcpt_access")
	writeFile(t, m.rcptAccess, Later+" 450 4.2.0 mailbox busy, try again later\n", 0o644)
	writeFile(t, filepath.Join(conf, "senders"), `/^bounces(\+.*)?@example\.test$/ `+Login+"\n/^briefing@example\\.test$/ "+Login+"\n", 0o644)
	writeFile(t, filepath.Join(conf, "senders_strict"), "briefing@example.test "+Login+"\n", 0o644)
	// Delivery agents that fail the way real mailboxes do: sysexits 67
	// (EX_NOUSER, 5.1.1), 73 (EX_CANTCREAT, 5.2.0) and 75 (EX_TEMPFAIL).
	for name, body := range map[string]string{
		"gone.sh": "echo 'mailbox unavailable: user unknown'\nexit 67\n",
		"full.sh": "echo 'mailbox full: quota exceeded'\nexit 73\n",
		"slow.sh": "echo 'mailbox temporarily unavailable'\nexit 75\n",
	} {
		writeFile(t, filepath.Join(conf, name), "#!/bin/sh\ncat >/dev/null\n"+body, 0o755)
	}

	writeFile(t, filepath.Join(conf, "main.cf"), fmt.Sprintf(`compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
mail_owner = postfix
setgid_group = postdrop
maillog_file = /dev/stdout
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
alias_maps =
alias_database =
biff = no
smtputf8_enable = yes
recipient_delimiter = +
virtual_mailbox_domains = example.test
virtual_mailbox_base = %[3]s
virtual_mailbox_maps = texthash:%[4]s/vmailbox
virtual_uid_maps = static:%[5]d
virtual_gid_maps = static:%[6]d
transport_maps = texthash:%[4]s/transport
smtpd_recipient_restrictions = check_recipient_access texthash:%[4]s/rcpt_access, permit_mynetworks, reject_unauth_destination
smtpd_tls_cert_file = %[7]s
smtpd_tls_key_file = %[8]s
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:%[9]d
smtp_dns_support_level = disabled
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
delay_warning_time = %[10]s
maximal_queue_lifetime = %[11]s
bounce_queue_lifetime = %[11]s
`, queue, data, m.MailDir, conf, MailUID, MailGID, cert, key, authPort, seconds(cfg.DelayWarning), seconds(cfg.QueueLifetime)), 0o644)

	submission := "smtpd -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes" +
		" -o smtpd_sender_restrictions=reject_sender_login_mismatch" +
		" -o smtpd_recipient_restrictions=check_recipient_access,texthash:" + conf + "/rcpt_access,permit_sasl_authenticated,reject"
	writeFile(t, filepath.Join(conf, "master.cf"), fmt.Sprintf(`127.0.0.1:%[1]d inet n - n - - smtpd
127.0.0.1:%[2]d inet n - n - - %[4]s -o smtpd_sender_login_maps=regexp:%[5]s/senders
127.0.0.1:%[3]d inet n - n - - %[4]s -o smtpd_sender_login_maps=texthash:%[5]s/senders_strict
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
gone      unix  - n n - - pipe flags=q user=nobody argv=%[5]s/gone.sh
full      unix  - n n - - pipe flags=q user=nobody argv=%[5]s/full.sh
slow      unix  - n n - - pipe flags=q user=nobody argv=%[5]s/slow.sh
`, m.Port, m.SubmissionPort, m.StrictPort, submission, conf), 0o644)
	if err := os.Chmod(pf, 0o755); err != nil {
		t.Fatal(err)
	}
	m.postfix = startDaemon(t, "postfix", "/usr/lib/postfix/sbin/master", "-c", conf, "-d")
	m.postfix.waitListening(t, m.Port, m.SubmissionPort, m.StrictPort)
}

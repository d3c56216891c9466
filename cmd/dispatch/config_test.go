package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/dispatchhq/dispatch/mailer"
	"go.yaml.in/yaml/v3"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dispatch.yaml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestExampleConfigLoads keeps config.example.yaml from rotting: it must
// load, validate, and name every key the program knows.
func TestExampleConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "config.example.yaml")
	cfg, _, err := loadConfig(path, pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	if cfg.SMTP.Host != "smtp.example.com" || cfg.Sender.BounceAddress != "bounces@example.com" {
		t.Errorf("example config read as %+v", cfg)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var inFile []string
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok {
				walk(sub, prefix+k+".")
				continue
			}
			inFile = append(inFile, prefix+k)
		}
	}
	walk(doc, "")
	have := map[string]bool{}
	for _, k := range inFile {
		have[k] = true
	}
	for _, k := range configKeys(reflect.TypeOf(Config{}), "") {
		if !have[k] {
			t.Errorf("config.example.yaml does not document %s", k)
		}
	}
	// Every key must carry a comment above it (a group of keys may share one).
	lines := strings.Split(string(data), "\n")
	isKey := func(l string) bool {
		t := strings.TrimSpace(l)
		return strings.HasPrefix(l, "  ") && t != "" && !strings.HasPrefix(t, "#")
	}
	for i, line := range lines {
		if !isKey(line) {
			continue
		}
		j := i - 1
		for j >= 0 && isKey(lines[j]) {
			j--
		}
		if j < 0 || !strings.HasPrefix(strings.TrimSpace(lines[j]), "#") {
			t.Errorf("config.example.yaml line %d (%s) has no comment above it", i+1, strings.TrimSpace(line))
		}
	}
}

func TestConfigUnknownKeyIsAnError(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{"smtp:\n  hots: x\n", []string{`"smtp.hots"`, "line 2", `did you mean "smtp.host"`}},
		{"smpt:\n  host: x\n", []string{`"smpt"`, "line 1"}},
		{"database:\n  path:\n    nested: 1\n", []string{"database.path is a value"}},
		{"smtp: [1, 2]\n", []string{"smtp is a section"}},
	}
	for _, tc := range tests {
		_, _, err := loadConfig(writeConfig(t, tc.body), pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
		if err == nil {
			t.Errorf("%q loaded without error", tc.body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not mention %s", tc.body, err, w)
			}
		}
	}
}

func TestConfigPrecedence(t *testing.T) {
	path := writeConfig(t, "smtp:\n  host: from-file\n  port: 2525\ndatabase:\n  path: file.db\n")
	t.Setenv("DISPATCH_SMTP_HOST", "from-env")
	t.Setenv("DISPATCH_SMTP_PASSWORD", "env-only-secret")
	t.Setenv("DISPATCH_SENDING_RATE", "2.5")
	t.Setenv("DISPATCH_DATABASE_PATH", "env.db")
	flags := pflag.NewFlagSet("x", pflag.ContinueOnError)
	flags.String("db", "", "")
	if err := flags.Parse([]string{"--db", "flag.db"}); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig(path, flags, map[string]string{"database.path": "db"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTP.Host != "from-env" || cfg.SMTP.Port != 2525 || cfg.SMTP.Password != "env-only-secret" ||
		cfg.Sending.Rate != 2.5 || cfg.Database.Path != "flag.db" {
		t.Errorf("got host=%q port=%d password=%q rate=%v db=%q; want env host, file port, env password, env rate, flag db",
			cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.Password, cfg.Sending.Rate, cfg.Database.Path)
	}
}

func TestConfigDefaultsWithoutFile(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, _, err := loadConfig("", pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig()) {
		t.Errorf("config without file = %+v; want defaults", cfg)
	}
	if _, _, err := loadConfig("missing.yaml", pflag.NewFlagSet("x", pflag.ContinueOnError), nil); err == nil {
		t.Error("an explicit missing --config file was accepted")
	}
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		body, want string
	}{
		{"smtp:\n  tls: ssl\n", "smtp.tls"},
		{"sending:\n  concurrency: 0\n", "sending.concurrency"},
		{"sending:\n  rate: -1\n", "sending.rate"},
		{"sender:\n  bounce_address: 'Bounces <b@example.com>'\n", "sender.bounce_address"},
		{"web:\n  base_url: ftp://x\n", "web.base_url"},
		{"web:\n  secret: short\n", "web.secret"},
		{"smtp:\n  timeout: 10 seconds\n", "timeout"},
		{"webhooks:\n  ses:\n    enabled: true\n", "webhooks.ses.topic_arns: is required when webhooks.ses.enabled"},
		{"webhooks:\n  ses:\n    enabled: true\n    topic_arns: [bounces]\n", "webhooks.ses.topic_arns[0]"},
		{"web:\n  rate_limit: -1\n", "web.rate_limit"},
		{"web:\n  one_click_rate_burst: 0\n", "web.rate_burst"},
		{"web:\n  rate_limit_clients: 0\n", "web.rate_limit_clients"},
		{"tracking:\n  clicks: per-person\n", "tracking.clicks"},
		{"tracking:\n  opens: individual\n", "tracking.opens"},
		{"tracking:\n  scanner_window: 0s\n", "tracking.scanner_window"},
	}
	for _, tc := range tests {
		_, _, err := loadConfig(writeConfig(t, tc.body), pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v; want it to name %s", tc.body, err, tc.want)
		}
	}
}

// TestConfigTrustProxy: web.trust_proxy is a list of proxy addresses. The
// old boolean still loads as false; true is refused with the new form.
func TestConfigTrustProxy(t *testing.T) {
	tests := []struct {
		name, body, env string
		want            []string // entries; nil with wantErr
		wantErr         []string
	}{
		{name: "unset", body: "web:\n  listen: 127.0.0.1:8080\n", want: nil},
		{name: "false", body: "web:\n  trust_proxy: false\n", want: []string{}},
		{name: "empty list", body: "web:\n  trust_proxy: []\n", want: []string{}},
		{name: "list", body: "web:\n  trust_proxy: [127.0.0.1, \"10.0.0.0/8\", \"[::1]:443\", \"fe80::1%eth0\"]\n",
			want: []string{"127.0.0.1", "10.0.0.0/8", "[::1]:443", "fe80::1%eth0"}},
		{name: "one address", body: "web:\n  trust_proxy: 127.0.0.1:8080\n", want: []string{"127.0.0.1:8080"}},
		{name: "env list", env: "127.0.0.1, 10.0.0.0/8", want: []string{"127.0.0.1", " 10.0.0.0/8"}},
		{name: "env false", env: "false", want: []string{}},
		{name: "true", body: "web:\n  trust_proxy: true\n",
			wantErr: []string{"web.trust_proxy", "true is no longer accepted", "[127.0.0.1]"}},
		{name: "env true", env: "true", wantErr: []string{"web.trust_proxy", "true is no longer accepted"}},
		{name: "host name", body: "web:\n  trust_proxy: [127.0.0.1, localhost]\n",
			wantErr: []string{"web.trust_proxy", `entry 2 ("localhost")`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == "" {
				body = "web:\n  listen: 127.0.0.1:8080\n"
			}
			if tc.env != "" {
				t.Setenv("DISPATCH_WEB_TRUST_PROXY", tc.env)
			}
			cfg, _, err := loadConfig(writeConfig(t, body), pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("loaded as %q; want an error", cfg.Web.TrustProxy)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual([]string(cfg.Web.TrustProxy), tc.want) {
				t.Errorf("trust_proxy = %#v; want %#v", []string(cfg.Web.TrustProxy), tc.want)
			}
		})
	}
}

func TestConfigWarnsAboutUnknownEnv(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("DISPATCH_SMTP_HOTS", "x")
	_, warnings, err := loadConfig("", pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "DISPATCH_SMTP_HOTS") {
		t.Errorf("warnings = %q; want one naming DISPATCH_SMTP_HOTS", warnings)
	}
}

func TestCheckPublicLinks(t *testing.T) {
	local := []mailer.Relay{{Host: "127.0.0.1"}}
	remote := []mailer.Relay{{Host: "smtp.example.com"}}
	tests := []struct {
		relays []mailer.Relay
		base   string
		ok     bool
	}{
		{local, "http://127.0.0.1:8080", true},
		{remote, "https://news.example.com", true},
		{remote, "http://127.0.0.1:8080", false},
		{remote, "http://news.example.com", false},
		{remote, "https://localhost", false},
	}
	for _, tc := range tests {
		if err := checkPublicLinks(tc.relays, tc.base); (err == nil) != tc.ok {
			t.Errorf("checkPublicLinks(%s, %q) = %v; want ok=%v", tc.relays[0].Host, tc.base, err, tc.ok)
		}
	}
}

// TestConfigYAMLErrorLine pins the line of a syntax error on the line that
// holds the mistake. The YAML library names the line where the enclosing
// block starts instead, which the first check shows.
func TestConfigYAMLErrorLine(t *testing.T) {
	tests := []struct {
		body     string
		libLine  int // what the library says
		line     int // where the mistake is
		contains string
	}{
		{"database:\n  path: x.db\nsmtp:\n  host: x\n port: 25\n", 4, 5, "not indented like the keys above"},
		{"smtp:\n  host: x\nweb:\n  secret: [abc\n  listen: x\nsending:\n  rate: 1\n", 3, 4, "never closed"},
		{"smtp:\n  host: x\n\n\nsending:\n  - rate\n  concurrency: 2\n", 5, 7, "did not find expected '-' indicator"},
		{"smtp:\n  host: x\n\tport: 25\n", 2, 3, "YAML indents with spaces only"},
	}
	for _, tc := range tests {
		var n yaml.Node
		libErr := yaml.Unmarshal([]byte(tc.body), &n)
		if libErr == nil || !strings.Contains(libErr.Error(), fmt.Sprintf("line %d:", tc.libLine)) {
			t.Errorf("%q: the library now says %v; update libLine", tc.body, libErr)
		}
		_, _, err := loadConfig(writeConfig(t, tc.body), pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
		if want := fmt.Sprintf("line %d: ", tc.line); err == nil || !strings.Contains(err.Error(), want) ||
			!strings.Contains(err.Error(), tc.contains) {
			t.Errorf("%q: err = %v; want %q and %q", tc.body, err, want, tc.contains)
		}
	}
}

func TestConfigRelativePathsFollowTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "site", "dispatch.yaml")
	os.MkdirAll(filepath.Dir(path), 0o755)
	body := "dkim:\n  domain: example.com\n  selector: s1\n  private_key_file: keys/dkim.pem\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := loadConfig(path, pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
	if err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(dir, "site")
	if cfg.DKIM.PrivateKeyFile != filepath.Join(site, "keys", "dkim.pem") || cfg.Database.Path != filepath.Join(site, "dispatch.db") {
		t.Errorf("key %q, database %q; want both in %s", cfg.DKIM.PrivateKeyFile, cfg.Database.Path, site)
	}
	abs := filepath.Join(dir, "abs.db")
	os.WriteFile(path, []byte("database:\n  path: "+abs+"\n"), 0o600)
	if cfg, _, err = loadConfig(path, pflag.NewFlagSet("x", pflag.ContinueOnError), nil); err != nil || cfg.Database.Path != abs {
		t.Errorf("absolute path read as %q (%v)", cfg.Database.Path, err)
	}
	os.WriteFile(path, []byte(body), 0o600)
	t.Setenv("DISPATCH_DKIM_PRIVATE_KEY_FILE", "from-env.pem")
	flags := pflag.NewFlagSet("x", pflag.ContinueOnError)
	flags.String("db", "", "")
	flags.Parse([]string{"--db", "flag.db"})
	cfg, _, err = loadConfig(path, flags, map[string]string{"database.path": "db"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DKIM.PrivateKeyFile != "from-env.pem" || cfg.Database.Path != "flag.db" {
		t.Errorf("key %q, database %q; want the variable's and the flag's paths as given", cfg.DKIM.PrivateKeyFile, cfg.Database.Path)
	}
}

func TestRelayAdvice(t *testing.T) {
	const (
		notTLS  = "connect to smtp.example.com:%d: tls: first record does not look like a TLS handshake"
		timeout = "connect to smtp.example.com:%d: read tcp 10.0.0.1:5000->10.0.0.2:%d: i/o timeout"
		noStart = `connect to smtp.example.com:%d: STARTTLS mode set to: "TLSMandatory", but target host does not support STARTTLS`
	)
	tests := []struct {
		port int
		tls  tlsmode.Mode
		msg  string
		want string
	}{
		{587, tlsmode.Implicit, notTLS, "port 587 expects `smtp.tls: starttls`"},
		{25, tlsmode.Implicit, notTLS, "port 25 expects `smtp.tls: starttls`"},
		{465, tlsmode.StartTLS, timeout, "port 465 expects `smtp.tls: tls`"},
		{465, tlsmode.None, timeout, "port 465 expects `smtp.tls: tls`"},
		{465, tlsmode.StartTLS, noStart, "port 465 expects `smtp.tls: tls`"},
		{2525, tlsmode.StartTLS, timeout, "set `smtp.tls: tls`"},
		{587, tlsmode.Implicit, timeout, ""}, // not a TLS-mode mistake
		{587, tlsmode.StartTLS, "550 5.1.1 no such user", ""},
		{587, tlsmode.StartTLS, "connect to smtp.example.com:%d: dial tcp: lookup smtp.example.com: no such host", "check smtp.host"},
		{587, tlsmode.StartTLS, "connect to smtp.example.com:%d: 535 5.7.8 Authentication credentials invalid", "check smtp.username and smtp.password"},
	}
	for _, tc := range tests {
		relays := []mailer.Relay{{Host: "smtp.example.com", Port: tc.port, TLS: tc.tls}}
		msg := strings.ReplaceAll(tc.msg, "%d", fmt.Sprint(tc.port))
		got := relayAdvice(msg, relays)
		if (tc.want == "" && got != "") || !strings.Contains(got, tc.want) {
			t.Errorf("port %d, tls %s, %q: advice %q; want %q", tc.port, tc.tls, msg, got, tc.want)
		}
	}
}

// TestIMAPPortFollowsTLS: without a port, IMAP over implicit TLS uses 993
// and plain or STARTTLS IMAP uses 143; a port given is kept.
func TestIMAPPortFollowsTLS(t *testing.T) {
	tests := []struct {
		body string
		want int
	}{
		{"bounces:\n  imap:\n    host: imap.example.com\n", 993},
		{"bounces:\n  imap:\n    host: imap.example.com\n    tls: tls\n", 993},
		{"bounces:\n  imap:\n    host: imap.example.com\n    tls: starttls\n", 143},
		{"bounces:\n  imap:\n    host: imap.example.com\n    tls: none\n", 143},
		{"bounces:\n  imap:\n    host: imap.example.com\n    tls: starttls\n    port: 1143\n", 1143},
	}
	for _, tc := range tests {
		cfg, _, err := loadConfig(writeConfig(t, tc.body), pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
		if err != nil {
			t.Fatalf("%q: %v", tc.body, err)
		}
		if cfg.Bounces.IMAP.Port != tc.want {
			t.Errorf("%q: port %d; want %d", tc.body, cfg.Bounces.IMAP.Port, tc.want)
		}
	}
}

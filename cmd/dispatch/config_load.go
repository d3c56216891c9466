package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/dispatchhq/dispatch/internal/tlsmode"
	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// configFile is the file read when --config is not given, if it exists.
const configFile = "dispatch.yaml"

// loadConfig reads defaults, then the YAML file, then DISPATCH_* environment
// variables, then flags bound in binds (key → flag name); later wins.
//
// Relative file paths set in the file, or left at their default while a
// file is in use, are resolved against the file's folder, so that
// `dispatch --config site/dispatch.yaml serve` opens site/dispatch.db from
// anywhere. Paths from the environment and flags stay relative to the
// working directory, like any other command-line path.
func loadConfig(path string, flags *pflag.FlagSet, binds map[string]string) (Config, []string, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	keys := configKeys(reflect.TypeOf(Config{}), "")
	def := DefaultConfig()
	// Unmarshal only sees keys viper knows of; a default for every key is
	// what lets an environment-only setting (a password) reach the struct.
	for _, k := range keys {
		v.SetDefault(k, lookupKey(reflect.ValueOf(def), k))
	}
	v.SetEnvPrefix("DISPATCH")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()

	explicit := path != ""
	if !explicit {
		path = configFile
	}
	src := sources{flags: map[string]string{}}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		src.file = path
		if src.lines, err = checkKeys(path, data, keys); err != nil {
			return Config{}, nil, err
		}
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return Config{}, nil, fmt.Errorf("config %s: %w", path, err)
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	default:
		return Config{}, nil, fmt.Errorf("config: %w", err)
	}
	warnings := unknownEnv(keys)

	for key, name := range binds {
		if f := flags.Lookup(name); f != nil && f.Changed {
			if err := v.BindPFlag(key, f); err != nil {
				return Config{}, nil, err
			}
			src.flags[key] = name
		}
	}
	var cfg Config
	if err := v.UnmarshalExact(&cfg, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(trustProxyHook,
		mapstructure.TextUnmarshallerHookFunc(), mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(",")))); err != nil {
		// The values that did decode are still checked, so one run names
		// every problem, as it did when the TLS modes were checked late.
		errs := []error{src.blameDecode(err, v)}
		if verr := withoutKeys(cfg.Validate(), decodeKeys(err)); verr != nil {
			errs = append(errs, src.blame(verr))
		}
		return Config{}, nil, errors.Join(errs...)
	}
	if src.file != "" {
		dir := filepath.Dir(src.file)
		for key, p := range map[string]*string{"database.path": &cfg.Database.Path, "dkim.private_key_file": &cfg.DKIM.PrivateKeyFile,
			"backup.dir": &cfg.Backup.Dir} {
			if k := src.of(key).kind; (k == fromFile || k == fromDefault) && *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
	// The default port follows the TLS mode; so does an explicit 0.
	if _, set := src.set("bounces.imap.port"); !set || cfg.Bounces.IMAP.Port == 0 {
		cfg.Bounces.IMAP.Port = defaultIMAPPort(cfg.Bounces.IMAP.TLS)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, nil, src.blame(err)
	}
	return cfg, warnings, nil
}

type sourceKind int

const (
	fromDefault sourceKind = iota
	fromFile
	fromEnv
	fromFlag
)

// source is where one configuration value came from.
type source struct {
	kind sourceKind
	file string
	line int    // in file; 0 when the key is not written there
	name string // the variable or the flag
}

// String names the source as an error prefix.
func (s source) String() string {
	switch s.kind {
	case fromFile:
		if s.file == "" {
			return "config"
		}
		if s.line > 0 {
			return fmt.Sprintf("config %s: line %d", s.file, s.line)
		}
		return "config " + s.file
	case fromEnv:
		return "environment variable " + s.name
	case fromFlag:
		return "flag --" + s.name
	}
	return "config"
}

// sources knows, for each key, which layer set it.
type sources struct {
	file  string         // the configuration file read, if any
	lines map[string]int // key → line in file
	flags map[string]string
}

// envName is the variable viper reads for key.
func envName(key string) string {
	return "DISPATCH_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// of says where key's value came from. key may be a section ("dkim", which
// takes its first set key) or an element ("smtp.relays[0].host", which
// belongs to smtp.relays).
func (s sources) of(key string) source {
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	if src, ok := s.set(key); ok {
		return src
	}
	for _, k := range configKeys(reflect.TypeOf(Config{}), "") {
		if strings.HasPrefix(k, key+".") {
			if src, ok := s.set(k); ok {
				return src
			}
		}
	}
	if s.file != "" {
		return source{kind: fromFile, file: s.file}
	}
	return source{}
}

// set finds the layer that set key, if any did.
func (s sources) set(key string) (source, bool) {
	if name, ok := s.flags[key]; ok {
		return source{kind: fromFlag, name: name}, true
	}
	// viper ignores empty variables, so they do not count as set.
	if os.Getenv(envName(key)) != "" {
		return source{kind: fromEnv, name: envName(key)}, true
	}
	if line, ok := s.lines[key]; ok {
		return source{kind: fromFile, file: s.file, line: line}, true
	}
	return source{}, false
}

// blame prefixes each error of Validate with where its key was set, so a
// bad DISPATCH_* variable is not blamed on the file.
func (s sources) blame(err error) error {
	var out []error
	for _, e := range flatten(err) {
		var fe *fieldError
		if errors.As(e, &fe) {
			out = append(out, fmt.Errorf("%s: %w", s.of(fe.key), fe))
			continue
		}
		out = append(out, fmt.Errorf("%s: %w", source{kind: fromFile, file: s.file}, e))
	}
	return errors.Join(out...)
}

// blameDecode turns viper's "decoding failed" list into one line per key,
// each naming the value and where it was set.
func (s sources) blameDecode(err error, v *viper.Viper) error {
	var out []error
	for _, e := range flatten(err) {
		var de *mapstructure.DecodeError
		if !errors.As(e, &de) {
			out = append(out, fmt.Errorf("%s: %w", source{kind: fromFile, file: s.file}, e))
			continue
		}
		key := de.Name()
		why := de.Unwrap()
		var tlsErr *tlsmode.ParseError
		if errors.As(why, &tlsErr) {
			why = fmt.Errorf("%q is not one of none, starttls, tls", tlsErr.Value)
		}
		if !strings.Contains(key, "[") && v.IsSet(key) {
			if t := reflect.TypeOf(lookupKey(reflect.ValueOf(Config{}), key)); t != nil && kindName(t) != t.String() {
				why = fmt.Errorf("%q is not a valid %s", fmt.Sprint(v.Get(key)), kindName(t))
			}
		}
		out = append(out, fmt.Errorf("%s: %s: %w", s.of(key), key, why))
	}
	return errors.Join(out...)
}

// decodeKeys lists the keys whose values did not decode.
func decodeKeys(err error) map[string]bool {
	keys := map[string]bool{}
	for _, e := range flatten(err) {
		var de *mapstructure.DecodeError
		if errors.As(e, &de) {
			keys[de.Name()] = true
		}
	}
	return keys
}

// withoutKeys drops from a Validate error the problems of keys, whose
// zero values would only repeat a decode error.
func withoutKeys(err error, keys map[string]bool) error {
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range flatten(err) {
		var fe *fieldError
		if errors.As(e, &fe) && keys[fe.key] {
			continue
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// flatten lists the leaves of a tree of joined errors, unwrapping the
// single-error wrappers (such as "decoding failed due to...") above them.
func flatten(err error) []error {
	var de *mapstructure.DecodeError
	var fe *fieldError
	switch e := err.(type) {
	case *mapstructure.DecodeError:
		if errors.As(e.Unwrap(), &de) {
			return flatten(e.Unwrap())
		}
		return []error{e}
	case *fieldError:
		return []error{e}
	case interface{ Unwrap() []error }:
		var out []error
		for _, x := range e.Unwrap() {
			out = append(out, flatten(x)...)
		}
		return out
	}
	if u := errors.Unwrap(err); u != nil && (errors.As(u, &de) || errors.As(u, &fe)) {
		return flatten(u)
	}
	return []error{err}
}

func kindName(t reflect.Type) string {
	switch t.String() {
	case "time.Duration":
		return "duration (like 30s, 5m or 720h)"
	case "bool":
		return "boolean (true or false)"
	case "int", "int64":
		return "whole number"
	case "float64":
		return "number"
	}
	return t.String()
}

// fieldError is one invalid configuration value.
type fieldError struct {
	key, msg string
}

func (e *fieldError) Error() string { return e.key + ": " + e.msg }

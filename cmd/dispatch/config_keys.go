package main

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// configKeys lists the dotted keys of a config struct type.
func configKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		key := prefix + tag
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeOf(time.Duration(0)) {
			keys = append(keys, configKeys(f.Type, key+".")...)
			continue
		}
		keys = append(keys, key)
	}
	return keys
}

func lookupKey(v reflect.Value, key string) any {
	for _, part := range strings.Split(key, ".") {
		t := v.Type()
		for i := range t.NumField() {
			if t.Field(i).Tag.Get("mapstructure") == part {
				v = v.Field(i)
				break
			}
		}
	}
	return v.Interface()
}

// checkKeys rejects keys the program does not know, naming the key and its
// line: a typo must not be silently ignored. It returns the line of every
// key the file sets, so later errors can point at it.
func checkKeys(path string, data []byte, keys []string) (map[string]int, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlSyntaxError(path, data, err)
	}
	lines := map[string]int{}
	if len(doc.Content) == 0 {
		return lines, nil
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k] = true
		for i := strings.IndexByte(k, '.'); i >= 0; i = nextDot(k, i) {
			known[k[:i]+"."] = true // a section
		}
	}
	var walk func(n *yaml.Node, prefix string) error
	walk = func(n *yaml.Node, prefix string) error {
		if n.Kind != yaml.MappingNode {
			if prefix == "" {
				return fmt.Errorf("config %s: line %d: the file must be a mapping of sections", path, n.Line)
			}
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := prefix + strings.ToLower(k.Value)
			switch {
			case known[key]:
				if val.Kind == yaml.MappingNode {
					return fmt.Errorf("config %s: line %d: %s is a value, not a section", path, k.Line, key)
				}
				lines[key] = k.Line
			case known[key+"."]:
				if val.Kind != yaml.MappingNode && val.Tag != "!!null" {
					return fmt.Errorf("config %s: line %d: %s is a section; put its keys under it", path, k.Line, key)
				}
				if err := walk(val, key+"."); err != nil {
					return err
				}
			default:
				return fmt.Errorf("config %s: line %d: unknown key %q%s", path, k.Line, key, suggest(key, keys))
			}
		}
		return nil
	}
	if err := walk(doc.Content[0], ""); err != nil {
		return nil, err
	}
	return lines, nil
}

func nextDot(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// suggest names the known key closest to a typo.
func suggest(key string, keys []string) string {
	best, bestD := "", 4
	for _, k := range keys {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// unknownEnv warns about DISPATCH_<SECTION>_* variables that match no key,
// the environment's version of a typo.
func unknownEnv(keys []string) []string {
	sections := map[string]bool{}
	known := map[string]bool{}
	for _, k := range keys {
		env := "DISPATCH_" + strings.ToUpper(strings.ReplaceAll(k, ".", "_"))
		known[env] = true
		sections["DISPATCH_"+strings.ToUpper(k[:strings.IndexByte(k, '.')])+"_"] = true
	}
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "DISPATCH_") || known[name] {
			continue
		}
		for sec := range sections {
			if strings.HasPrefix(name, sec) {
				out = append(out, fmt.Sprintf("environment variable %s matches no configuration key", name))
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

package templates

import (
	"fmt"

	"github.com/vanng822/go-premailer/premailer"
)

// inlineCSS moves the document's CSS into style attributes, as most mail
// clients ignore <style> or parts of it. Rules that cannot be inlined
// (@media, :hover, :root) stay in a <style> block. It runs once per issue;
// the document holds sentinels, not template actions (see sentinel.go).
func inlineCSS(doc string) (string, error) {
	pm, err := premailer.NewPremailerFromString(doc, premailer.NewOptions())
	if err != nil {
		return "", fmt.Errorf("inline css: %w", err)
	}
	out, err := pm.Transform()
	if err != nil {
		return "", fmt.Errorf("inline css: %w", err)
	}
	return out, nil
}

package templates

// Config holds the settings Compile needs. The command fills it from the
// configuration file; the package reads no globals or environment.
type Config struct {
	// PostalAddress is the sender's postal address (sender.postal_address),
	// shown in every footer. Lines may be separated by newlines. Required.
	PostalAddress string
	// ListName names the list in the footer's "you receive this because"
	// line as recipients know it: the list's title, else its name, e.g.
	// "Security Chatter".
	ListName string
	// From is the default From header (sender.from); an issue's front
	// matter may override it.
	From string
	// FromName is the display name used with From when From has none, and
	// the small caption above the title in the default layout.
	FromName string
	// Layout is the path of the default custom layout (empty: the embedded
	// layout). An issue's front matter layout: overrides it.
	Layout string
	// WebVersion says the sender serves each issue on the web at
	// Recipient.WebURL, so layouts may link to it.
	WebVersion bool
}
